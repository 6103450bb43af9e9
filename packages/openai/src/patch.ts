import { instrumentCall, isThenable, type LiveSpan, tracingIsEnabled } from "@tracewright/core";
import { isApiPromise, observeApiPromise } from "./api-promise.js";
import { type CallContext, recordFailure, recordParsed } from "./call-outcome.js";
import { ENDPOINTS, type Endpoint } from "./endpoints.js";
import type { CreateMethod, OpenAIClass, OpenAIClientLike, OpenAIModule, ResourceClass } from "./internal-types.js";
import { pluginState } from "./process-state.js";
import { providerOf } from "./provider.js";
import { startAttributes } from "./record.js";
import { type PluginSettings, redacted } from "./settings.js";

/** Marks a patched method and keeps the original it replaced. */
const ORIGINAL = Symbol.for("tracewright.openai.original");
type Patched = CreateMethod & { [ORIGINAL]?: CreateMethod };

/** The unpatched method behind `fn` (itself when it is not ours). */
export const originalOf = (fn: CreateMethod): CreateMethod => (fn as Patched)[ORIGINAL] ?? fn;

function observeResult(span: LiveSpan, result: unknown, ctx: CallContext): void {
  if (isApiPromise(result)) observeApiPromise(span, result, ctx);
  else if (isThenable(result)) {
    result.then(
      (value) => recordParsed(span, value, ctx),
      (error: unknown) => recordFailure(span, error),
    );
  } else recordParsed(span, result, ctx);
}

/** A traced `create`: same arguments, same `this`, the very same returned APIPromise. */
export function wrapCreate(
  original: CreateMethod,
  endpoint: Endpoint,
  settings: () => PluginSettings | null,
): CreateMethod {
  const patched: Patched = function create(this: unknown, body?: unknown, _options?: unknown) {
    const active = settings();
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments openai received
    if (active === null || !active.logTraces || !tracingIsEnabled()) return original.apply(this, arguments as never);
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments openai received
    const args = arguments;
    const ctx: CallContext = { endpoint, body, settings: active };
    // redacted once, through the guarded helper: a failing redactor never reaches the call
    const shownInputs = redacted(active, body, "inputs");
    return instrumentCall(
      {
        name: endpoint.spanName,
        spanType: endpoint.spanType,
        inputs: shownInputs,
        attributes: startAttributes(endpoint, body, shownInputs, providerOf(this)),
      },
      () => original.apply(this, args as never),
      {
        awaitResult: false,
        onResult: (span, result) => {
          observeResult(span, result, ctx);
          return "keep-open";
        },
      },
    );
  };
  patched[ORIGINAL] = original;
  return patched;
}

/** The `OpenAI` class inside whatever `require("openai")` / `import("openai")` returned. */
function findOpenAIClass(mod: unknown): OpenAIClass | null {
  const m = mod as OpenAIModule | null;
  const candidates = [m?.OpenAI, (m?.default as { OpenAI?: OpenAIClass } | undefined)?.OpenAI, m?.default, m];
  for (const c of candidates) {
    const k = c as OpenAIClass | undefined;
    if (k && (typeof k === "function" || typeof k === "object") && (k.Chat || k.Completions || k.Embeddings)) return k;
  }
  return null;
}

/** Resource classes to patch, by endpoint. */
function resourceClasses(openai: OpenAIClass): Array<[ResourceClass | undefined, Endpoint]> {
  return [
    [openai.Chat?.Completions, ENDPOINTS.chat],
    [openai.Completions, ENDPOINTS.completions],
    [openai.Embeddings, ENDPOINTS.embeddings],
    [openai.Responses, ENDPOINTS.responses],
  ];
}

/**
 * Patches the resource classes of one loaded copy of openai (its CommonJS and ESM builds are
 * separate copies). Idempotent. Returns the number of methods newly patched, or -1 when the
 * module does not look like openai.
 */
export function patchOpenAIModule(mod: unknown, settings: () => PluginSettings | null): number {
  const openai = findOpenAIClass(mod);
  if (!openai) return -1;
  let count = 0;
  for (const [resource, endpoint] of resourceClasses(openai)) {
    const proto = resource?.prototype;
    if (!proto || typeof proto.create !== "function") continue;
    if ((proto.create as Patched)[ORIGINAL]) continue;
    proto.create = wrapCreate(proto.create, endpoint, settings);
    pluginState().patchedPrototypes.add(proto);
    count++;
  }
  return count;
}

/** Restores every prototype patched in this process, by any copy of the plugin. */
export function unpatchAll(): void {
  const { patchedPrototypes } = pluginState();
  for (const proto of patchedPrototypes) {
    if (proto.create) proto.create = originalOf(proto.create);
  }
  patchedPrototypes.clear();
}

/** Wraps the resources of one client instance (own properties shadow the prototypes). */
export function patchClient(client: OpenAIClientLike, settings: () => PluginSettings | null): void {
  const resources: Array<[{ create?: CreateMethod } | undefined, Endpoint]> = [
    [client.chat?.completions, ENDPOINTS.chat],
    [client.completions, ENDPOINTS.completions],
    [client.embeddings, ENDPOINTS.embeddings],
    [client.responses, ENDPOINTS.responses],
  ];
  for (const [resource, endpoint] of resources) {
    if (!resource || typeof resource.create !== "function") continue;
    if (Object.hasOwn(resource, "create") && (resource.create as Patched)[ORIGINAL]) continue;
    // wrap the unpatched method, so a client that is also autologged gets one span, not two
    resource.create = wrapCreate(originalOf(resource.create), endpoint, settings);
  }
}
