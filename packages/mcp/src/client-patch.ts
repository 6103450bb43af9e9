/**
 * Client side: each traced `Client` method (callTool, readResource, getPrompt, listTools,
 * listResources, listPrompts) runs in a span under the active one, and its request carries that
 * span's trace context in `params._meta`. The result is returned untouched; a tool result with
 * `isError: true` marks the span as failed; a thrown McpError is recorded and rethrown unchanged.
 */
import { SpanStatus } from "@tracewright/core";
import { type Integration, isRecord, type MethodPatches } from "@tracewright/core/instrumentation";
import { CLIENT_METHODS, type ClientMethod, requestAttributes, toolErrorOf } from "./convert.js";
import { withTraceContext } from "./trace-context.js";

// biome-ignore lint/suspicious/noExplicitAny: wrappers forward whatever the SDK's methods take
type AnyMethod = (this: unknown, ...args: any[]) => any;

/** Patches `Client.prototype` of one loaded copy of `@modelcontextprotocol/sdk/client/index.js`. False when it does not look like it. */
export function patchClientModule(
  mod: unknown,
  integration: Integration<never, unknown>,
  patches: MethodPatches,
): boolean {
  const proto = isRecord(mod) && typeof mod.Client === "function" ? (mod.Client.prototype as object) : null;
  if (proto === null || typeof (proto as Record<string, unknown>).callTool !== "function") return false;
  for (const name of Object.keys(CLIENT_METHODS) as ClientMethod[]) {
    patches.wrap(proto, name, (original) => tracedClientMethod(name, original, integration));
  }
  return true;
}

function tracedClientMethod(
  name: ClientMethod,
  original: AnyMethod,
  integration: Integration<never, unknown>,
): AnyMethod {
  const { method, spanType } = CLIENT_METHODS[name];
  return function traced(this: unknown, params?: unknown, ...rest: unknown[]) {
    return integration.instrumentCall(
      { name: `Client.${name}`, spanType, inputs: params ?? {}, attributes: requestAttributes(method, params) },
      // with tracing off there is no span, and the request goes out exactly as the caller made it
      (span) => original.call(this, span === null ? params : withTraceContext(params), ...rest),
      {
        onResult: (span, result) => {
          span.setOutputs(result);
          const toolError = method === "tools/call" ? toolErrorOf(result) : null;
          if (toolError !== null) span.setStatus(new SpanStatus("ERROR", toolError));
        },
      },
    );
  };
}
