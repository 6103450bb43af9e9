/**
 * The patch: `create`, `stream` and `countTokens` of the SDK's `Messages` resources (stable and
 * beta) are replaced by traced ones that take the same arguments and `this` and return the very
 * same APIPromise or MessageStream. The span records the outcome whenever the user consumes it.
 *
 * `stream()` opens its span before the SDK builds the MessageStream, so that whatever the SDK
 * starts there (its own OpenTelemetry span, when the app has a tracer provider) nests under it;
 * the MessageStream then calls `create` synchronously, and that call is recorded on the stream's
 * span instead of a second one: one span, one usage, per call.
 */
import type { LiveSpan } from "@tracewright/core";
import { methodPatches, observeSdkResult, runSafely } from "@tracewright/core/instrumentation";
import { type CallContext, recorderFor } from "./call-outcome.js";
import { ENDPOINTS, startAttributes } from "./convert.js";
import type { AnthropicClass, AnthropicModule, Endpoint, ResourceMethod, Tracing } from "./types.js";

/** The patched methods, shared by every copy of this package in the process. */
export const patches = methodPatches("anthropic");

/**
 * The span of a `stream()` call whose MessageStream is being built, for the `create` it makes.
 * Set only while the SDK's `stream()` runs (synchronously), so no other call can see it; kept on
 * `globalThis`, so a `stream()` patched by one copy of this package (ESM or CommonJS) and a
 * `create` patched by another agree.
 */
const STREAM_OWNER = Symbol.for("tracewright.anthropic.streamOwner.v1");
type StreamOwner = { span: LiveSpan; ctx: CallContext } | null;
const owners = globalThis as { [STREAM_OWNER]?: StreamOwner };

/** `fn` under the SDK method's own name, so stack traces and `.name` read as untraced. */
function named(name: string, fn: ResourceMethod): ResourceMethod {
  Object.defineProperty(fn, "name", { value: name, configurable: true });
  return fn;
}

/** A traced `create` or `countTokens`: same arguments, same `this`, the very same returned APIPromise. */
function tracedCall(original: ResourceMethod, endpoint: Endpoint, tracing: Tracing): ResourceMethod {
  return named(original.name, function call(this: unknown, body?: unknown, _options?: unknown) {
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments the SDK received
    const args = arguments;
    const owner = endpoint.kind === "create" ? (owners[STREAM_OWNER] ?? null) : null;
    if (owner) {
      // the request of a stream() helper: recorded on the helper's span
      owners[STREAM_OWNER] = null;
      const result = original.apply(this, args as never);
      runSafely("observing a stream() helper's request", () =>
        observeSdkResult(owner.span, result, recorderFor(owner.ctx)),
      );
      return result;
    }
    const settings = tracing.active();
    if (settings === null) return original.apply(this, args as never);
    const ctx: CallContext = { endpoint, body, settings };
    return tracing.instrumentCall(
      {
        name: endpoint.spanName,
        spanType: endpoint.spanType,
        inputs: body,
        attributes: startAttributes(endpoint, body, settings),
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
  });
}

/** A traced `stream()`: same arguments, same `this`, the very same MessageStream. */
function tracedStream(original: ResourceMethod, tracing: Tracing): ResourceMethod {
  const endpoint = ENDPOINTS.stream;
  return named(original.name, function stream(this: unknown, body?: unknown, _options?: unknown) {
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments the SDK received
    const args = arguments;
    const settings = tracing.active();
    if (settings === null) return original.apply(this, args as never);
    const ctx: CallContext = { endpoint, body, settings };
    return tracing.instrumentCall(
      {
        name: endpoint.spanName,
        spanType: endpoint.spanType,
        inputs: body,
        attributes: startAttributes(endpoint, body, settings),
      },
      (span) => {
        const outer = owners[STREAM_OWNER] ?? null;
        owners[STREAM_OWNER] = span ? { span, ctx } : null;
        try {
          return original.apply(this, args as never);
        } finally {
          const unclaimed = owners[STREAM_OWNER];
          owners[STREAM_OWNER] = outer;
          // an SDK that sends the request later than this: that request gets a span of its own
          if (unclaimed) runSafely("ending an unclaimed stream() span", () => unclaimed.span.end());
        }
      },
      { awaitResult: false, onResult: () => "keep-open" },
    );
  });
}

/** The `Anthropic` class inside whatever `require("@anthropic-ai/sdk")` / `import(...)` returned. */
function findAnthropicClass(mod: unknown): AnthropicClass | null {
  const m = mod as AnthropicModule | null;
  const candidates = [m?.Anthropic, (m?.default as { Anthropic?: AnthropicClass } | undefined)?.Anthropic, m?.default];
  for (const c of candidates) {
    const k = c as AnthropicClass | undefined;
    if (typeof k === "function" && typeof (k as AnthropicClass).Messages?.prototype?.create === "function") return k;
  }
  return null;
}

/**
 * Patches the resource classes of one loaded copy of the SDK (its CommonJS and ESM builds are
 * separate copies). Idempotent. False when the module does not look like the SDK.
 */
export function patchAnthropicModule(mod: unknown, tracing: Tracing): boolean {
  const anthropic = findAnthropicClass(mod);
  if (!anthropic) return false;
  for (const resource of [anthropic.Messages, anthropic.Beta?.Messages]) {
    const proto = resource?.prototype;
    if (!proto) continue;
    patches.wrap(proto, "create", (c) => tracedCall(c, ENDPOINTS.create, tracing));
    patches.wrap(proto, "stream", (c) => tracedStream(c, tracing));
    patches.wrap(proto, "countTokens", (c) => tracedCall(c, ENDPOINTS.countTokens, tracing));
  }
  return true;
}
