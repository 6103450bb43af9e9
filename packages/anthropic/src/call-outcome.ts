import type { LiveSpan } from "@tracewright/core";
import { runSafely } from "@tracewright/core/instrumentation";
import { recordResponse } from "./convert.js";
import { isStream, observeStream } from "./stream.js";
import type { CallSettings, Endpoint } from "./types.js";

/** What one traced call needs to record its outcome. */
export interface CallContext {
  endpoint: Endpoint;
  body: unknown;
  settings: CallSettings;
}

/** Records a failed call (the SDK rethrows the user's error itself, untouched) and ends its span. */
export function recordFailure(span: LiveSpan, error: unknown): void {
  runSafely("recording an anthropic error", () => {
    if (span.ended) return;
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number") span.setAttribute("http.response.status_code", status);
    span.recordException(error);
    span.end();
  });
}

/** Records a parsed result: a Message ends the span, a Stream keeps it open until it is consumed. */
export function recordParsed(span: LiveSpan, value: unknown, ctx: CallContext): void {
  runSafely("recording an anthropic response", () => {
    if (span.ended) return;
    if (isStream(value)) {
      observeStream(span, value, ctx);
      return;
    }
    recordResponse(span, ctx.endpoint, ctx.body, value);
    span.end();
  });
}
