/**
 * The patch: each `create` method of openai's resource classes (or of one client's resources)
 * is replaced by a traced one that takes the same arguments and `this` and returns the very same
 * APIPromise. The span records the outcome whenever the user consumes that promise.
 */
import { methodPatches, observeSdkResult } from "@tracewright/core/instrumentation";
import { type CallContext, recorderFor } from "./call-outcome.js";
import { ENDPOINTS, providerOf, startAttributes } from "./convert.js";
import type { CreateMethod, Endpoint, OpenAIClass, OpenAIClientLike, OpenAIModule, Tracing } from "./types.js";

/** openai's patched methods, shared by every copy of this package in the process. */
export const patches = methodPatches("openai");

/** A traced `create`: same arguments, same `this`, the very same returned APIPromise. */
function tracedCreate(original: CreateMethod, endpoint: Endpoint, tracing: Tracing): CreateMethod {
  return function create(this: unknown, body?: unknown, _options?: unknown) {
    const settings = tracing.active();
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments openai received
    const args = arguments;
    if (settings === null) return original.apply(this, args as never);
    const ctx: CallContext = { endpoint, body, settings };
    return tracing.instrumentCall(
      {
        name: endpoint.spanName,
        spanType: endpoint.spanType,
        inputs: body,
        attributes: startAttributes(endpoint, body, providerOf(this), settings),
      },
      () => original.apply(this, args as never),
      {
        awaitResult: false,
        onResult: (span, result) => {
          observeSdkResult(span, result, recorderFor(ctx));
          return "keep-open";
        },
      },
    );
  };
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

/**
 * Patches the resource classes of one loaded copy of openai (its CommonJS and ESM builds are
 * separate copies). Idempotent. False when the module does not look like openai.
 */
export function patchOpenAIModule(mod: unknown, tracing: Tracing): boolean {
  const openai = findOpenAIClass(mod);
  if (!openai) return false;
  const resources: Array<[{ prototype: object } | undefined, Endpoint]> = [
    [openai.Chat?.Completions, ENDPOINTS.chat],
    [openai.Completions, ENDPOINTS.completions],
    [openai.Embeddings, ENDPOINTS.embeddings],
    [openai.Responses, ENDPOINTS.responses],
  ];
  for (const [resource, endpoint] of resources) {
    if (resource?.prototype) patches.wrap(resource.prototype, "create", (c) => tracedCreate(c, endpoint, tracing));
  }
  return true;
}

/**
 * Wraps the resources of one client instance (own properties shadow the prototypes). Wraps the
 * unpatched method, so a client that is also autologged gets one span per call, not two; these
 * patches outlive `autolog({ disable: true })`.
 */
export function patchClient(client: OpenAIClientLike, tracing: Tracing): void {
  const resources: Array<[object | undefined, Endpoint]> = [
    [client.chat?.completions, ENDPOINTS.chat],
    [client.completions, ENDPOINTS.completions],
    [client.embeddings, ENDPOINTS.embeddings],
    [client.responses, ENDPOINTS.responses],
  ];
  for (const [resource, endpoint] of resources) {
    if (resource)
      patches.wrap(resource, "create", (c) => tracedCreate(c, endpoint, tracing), { restore: false, inherited: true });
  }
}
