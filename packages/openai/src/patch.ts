import { instrumentCall, isThenable, type LiveSpan, runSafely, tracingIsEnabled } from "@tracewright/core";
import { ENDPOINTS, type Endpoint } from "./endpoints.js";
import type {
  APIPromiseLike,
  CreateMethod,
  OpenAIClass,
  OpenAIClientLike,
  OpenAIModule,
  ResourceClass,
} from "./internal-types.js";
import { recordResponse, startAttributes } from "./record.js";
import { type PluginSettings, redacted } from "./settings.js";
import { isStream, observeStream } from "./stream.js";

/** Marks a patched method and keeps the original it replaced. */
const ORIGINAL = Symbol.for("tracewright.openai.original");
type Patched = CreateMethod & { [ORIGINAL]?: CreateMethod };

/** The unpatched method behind `fn` (itself when it is not ours). */
export const originalOf = (fn: CreateMethod): CreateMethod => (fn as Patched)[ORIGINAL] ?? fn;

function isApiPromise(value: unknown): value is APIPromiseLike {
  return (
    value instanceof Promise &&
    typeof (value as APIPromiseLike).parseResponse === "function" &&
    isThenable((value as APIPromiseLike).responsePromise)
  );
}

interface CallContext {
  endpoint: Endpoint;
  body: unknown;
  settings: PluginSettings;
}

function fail(span: LiveSpan, error: unknown): void {
  runSafely("recording an openai error", () => {
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number") span.setAttribute("http.response.status_code", status);
    span.recordException(error);
    span.end();
  });
}

function onParsed(span: LiveSpan, value: unknown, ctx: CallContext): void {
  runSafely("recording an openai response", () => {
    if (span.ended) return;
    if (isStream(value)) {
      observeStream(span, value, ctx.endpoint, ctx.body, ctx.settings);
      return;
    }
    recordResponse(span, ctx.endpoint, ctx.body, value, ctx.settings);
    span.end();
  });
}

/**
 * Observes openai's APIPromise without consuming it: the body is parsed only when the user (or
 * an openai helper) asks for it, through the promise's own `parseResponse`, which is wrapped
 * here. So `.asResponse()` still hands back an unread body and `.withResponse()` still works.
 * Promises derived with `_thenUnwrap` (helpers such as `parse()` and `responses.stream()`) are
 * observed the same way; the first parse to complete records the span.
 */
function observeApiPromise(span: LiveSpan, promise: APIPromiseLike, ctx: CallContext): void {
  let parseStarted = false;
  let recorded = false;
  const hook = (target: APIPromiseLike) => {
    const originalParse = target.parseResponse;
    target.parseResponse = function parseResponse(this: unknown, client: unknown, props: unknown) {
      parseStarted = true;
      const parsed = originalParse.call(this, client, props);
      Promise.resolve(parsed).then(
        (value) => {
          if (recorded) return;
          recorded = true;
          onParsed(span, value, ctx);
        },
        (error: unknown) => fail(span, error),
      );
      return parsed;
    };
    const originalThenUnwrap = target._thenUnwrap;
    if (typeof originalThenUnwrap !== "function") return;
    target._thenUnwrap = function _thenUnwrap(this: unknown, transform: unknown) {
      const derived = originalThenUnwrap.call(this, transform);
      if (isApiPromise(derived)) runSafely("observing a derived openai promise", () => hook(derived));
      return derived;
    };
  };
  hook(promise);
  promise.responsePromise.then(
    (props) => {
      runSafely("recording the HTTP status", () =>
        span.setAttribute("http.response.status_code", props.response.status),
      );
      // Any parse requested so far runs in the reactions queued after this one; if none
      // started, the user took the raw response (asResponse): end without outputs.
      queueMicrotask(() => {
        if (!parseStarted && !span.ended) span.end();
      });
    },
    (error: unknown) => fail(span, error),
  );
}

function observeResult(span: LiveSpan, result: unknown, ctx: CallContext): void {
  if (isApiPromise(result)) observeApiPromise(span, result, ctx);
  else if (isThenable(result)) {
    result.then(
      (value) => onParsed(span, value, ctx),
      (error: unknown) => fail(span, error),
    );
  } else onParsed(span, result, ctx);
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
        attributes: startAttributes(endpoint, body, shownInputs),
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

const patchedPrototypes = new Set<{ create?: CreateMethod }>();

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
    patchedPrototypes.add(proto);
    count++;
  }
  return count;
}

/** Restores every patched prototype. */
export function unpatchAll(): void {
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
