/**
 * The patch: `create` and `countTokens` of the SDK's `Messages` resources (stable and beta) are
 * replaced by traced ones that take the same arguments and `this` and return the very same
 * APIPromise. The span records the outcome whenever the user consumes that promise. The
 * `messages.stream()` helper calls `create` on the same resource, so its MessageStream (events,
 * `finalMessage()`, async iteration) is traced through it, with one span per call.
 */
import type { LiveSpan } from "@tracewright/core";
import { isThenable, methodPatches } from "@tracewright/core/instrumentation";
import { isApiPromise, observeApiPromise } from "./api-promise.js";
import { type CallContext, recordFailure, recordParsed } from "./call-outcome.js";
import { ENDPOINTS, startAttributes } from "./convert.js";
import type { AnthropicClass, AnthropicModule, Endpoint, ResourceMethod, Tracing } from "./types.js";

/** The patched methods, shared by every copy of this package in the process. */
export const patches = methodPatches("anthropic");

function observeResult(span: LiveSpan, result: unknown, ctx: CallContext): void {
  if (isApiPromise(result)) observeApiPromise(span, result, ctx);
  else if (isThenable(result)) {
    result.then(
      (value) => recordParsed(span, value, ctx),
      (error: unknown) => recordFailure(span, error),
    );
  } else recordParsed(span, result, ctx);
}

/** A traced method: same arguments, same `this`, the very same returned APIPromise. */
function tracedMethod(original: ResourceMethod, endpoint: Endpoint, tracing: Tracing): ResourceMethod {
  // named as the SDK names it, so stack traces and `.name` read as untraced
  const traced = {
    [original.name](this: unknown, body?: unknown, _options?: unknown) {
      const settings = tracing.active();
      // biome-ignore lint/complexity/noArguments: forwards the exact arguments the SDK received
      const args = arguments;
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
            observeResult(span, result, ctx);
            return "keep-open";
          },
        },
      );
    },
  };
  return traced[original.name] as ResourceMethod;
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
    if (typeof proto.create === "function")
      patches.wrap(proto, "create", (c) => tracedMethod(c, ENDPOINTS.create, tracing));
    if (typeof proto.countTokens === "function") {
      patches.wrap(proto, "countTokens", (c) => tracedMethod(c, ENDPOINTS.countTokens, tracing));
    }
  }
  return true;
}
