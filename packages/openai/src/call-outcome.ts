import type { LiveSpan } from "@tracewright/core";
import {
  type ApiPromiseHooks,
  hasIteratorFactory,
  observeIteratorFactoryStream,
  runSafely,
  type StreamHooks,
} from "@tracewright/core/instrumentation";
import { recordResponse } from "./convert.js";
import { createStreamAccumulator } from "./stream-accumulator.js";
import type { CallSettings, Endpoint } from "./types.js";

/** What one traced call needs to record its outcome. */
export interface CallContext {
  endpoint: Endpoint;
  body: unknown;
  settings: CallSettings;
}

/** Records a failed call (the user's error itself is rethrown by openai, untouched) and ends its span. */
export function recordFailure(span: LiveSpan, error: unknown): void {
  runSafely("recording an openai error", () => {
    if (span.ended) return;
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number") span.setAttribute("http.response.status_code", status);
    span.recordException(error);
    span.end();
  });
}

/**
 * Records a parsed result: a response ends the span; openai's `Stream` keeps it open until it is
 * consumed, its chunks folded into the response they add up to.
 */
export function recordParsed(span: LiveSpan, value: unknown, ctx: CallContext): void {
  runSafely("recording an openai response", () => {
    if (span.ended) return;
    if (hasIteratorFactory(value)) {
      const signal = (value as { controller?: AbortController }).controller?.signal;
      observeIteratorFactoryStream(span, value, streamHooks(ctx, signal));
      return;
    }
    recordResponse(span, ctx.endpoint, ctx.body, value, ctx.settings);
    span.end();
  });
}

/**
 * How a stream's chunks fold into the response they add up to. Built apart from
 * {@link recordParsed} on purpose: closures made there would share its scope, which holds the
 * stream, and keep every stream alive.
 */
function streamHooks(ctx: CallContext, signal: AbortSignal | undefined): StreamHooks {
  const accumulator = createStreamAccumulator(ctx.endpoint);
  if (!accumulator) return { chunkCountAttribute: "openai.stream.chunks", signal };
  return {
    chunkCountAttribute: "openai.stream.chunks",
    signal,
    onChunk: (chunk) => {
      if (chunk !== null && typeof chunk === "object") accumulator.add(chunk as Record<string, unknown>);
    },
    onEnd: (span) => recordResponse(span, ctx.endpoint, ctx.body, accumulator.result(), ctx.settings),
  };
}

/** The kit's APIPromise hooks for one call. */
export const apiPromiseHooks = (ctx: CallContext): ApiPromiseHooks => ({
  onParsed: (span, value) => recordParsed(span, value, ctx),
  onFailed: (span, error) => recordFailure(span, error),
});
