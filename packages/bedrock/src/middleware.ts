/**
 * The traced call, as a smithy middleware at the top of the `initialize` step: it sees the
 * command's input, and what the whole handler stack resolves to, retries included: the output
 * object `client.send` hands the user (never replaced) and the raw HTTP response (whose
 * `x-amzn-bedrock-*-token-count` headers carry InvokeModel's usage). Errors pass through
 * untouched; the span records them.
 */
import type { LiveSpan } from "@tracewright/core";
import { runSafely } from "@tracewright/core/instrumentation";
import {
  recordConverse,
  recordedInput,
  recordInvokeModel,
  recordStatus,
  START_SPAN_TYPE,
  startAttributes,
} from "./record.js";
import { observeStream } from "./stream.js";
import type { Handler, HandlerResult, InitializeMiddleware, Operation, Tracing } from "./types.js";

/** The name our middleware has in a stack (`stack.identify()` shows it). */
export const MIDDLEWARE_NAME = "tracewrightBedrockMiddleware";

type Obj = Record<string, unknown>;

function recordResult(
  span: LiveSpan,
  operation: Operation,
  recorded: Obj,
  result: HandlerResult,
): "keep-open" | undefined {
  let keepOpen = false;
  runSafely("recording a Bedrock response", () => {
    recordStatus(span, result.response?.statusCode ?? (result.output?.$metadata as Obj | undefined)?.httpStatusCode);
    if (operation.streamMember) {
      keepOpen = observeStream(span, operation.kind, recorded, result.output);
    } else if (operation.kind === "converse") recordConverse(span, recorded, result.output);
    else recordInvokeModel(span, recorded, result);
  });
  return keepOpen ? "keep-open" : undefined;
}

function recordError(span: LiveSpan, error: unknown): void {
  runSafely("recording a Bedrock error", () => {
    const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
    recordStatus(span, metadata?.httpStatusCode);
  });
}

/** The middleware for one operation: a span per `send`, passing straight through while autolog is off. */
export function tracingMiddleware(operation: Operation, tracing: Tracing): InitializeMiddleware {
  return (next: Handler) =>
    function tracedHandler(args) {
      if (tracing.active() === null) return next(args);
      const input = (args?.input ?? {}) as Obj;
      let recorded: Obj = input;
      let attributes: Obj = {};
      runSafely("reading a Bedrock request", () => {
        recorded = recordedInput(operation.kind, input);
        attributes = startAttributes(operation.kind, recorded);
      });
      return tracing.instrumentCall(
        { name: operation.spanName, spanType: START_SPAN_TYPE, inputs: recorded, attributes },
        () => next(args),
        {
          onResult: (span, result) => recordResult(span, operation, recorded, result),
          onError: recordError,
        },
      );
    };
}
