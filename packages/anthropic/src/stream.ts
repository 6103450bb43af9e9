/**
 * The SDK's `Stream` (for `stream: true`, and under the `messages.stream()` helper's
 * MessageStream): the kit's stream observer keeps the span open while the user reads the very
 * same Stream, and the events are folded back into the Message they add up to.
 */
import type { StreamHooks } from "@tracewright/core/instrumentation";
import type { CallContext } from "./call-outcome.js";
import { recordResponse } from "./convert.js";
import { StreamAccumulator } from "./stream-accumulator.js";

/** The span attribute counting the server-sent events the user read. */
export const STREAM_EVENTS_ATTRIBUTE = "anthropic.stream.events";

/**
 * How one call's stream is recorded. Built apart from the code that holds the stream, which the
 * hooks must not capture (they live until the stream ends or is collected).
 */
export function streamHooks(ctx: CallContext, signal: AbortSignal | undefined): StreamHooks {
  const accumulator = new StreamAccumulator();
  return {
    chunkCountAttribute: STREAM_EVENTS_ATTRIBUTE,
    signal,
    onChunk: (event) => accumulator.add(event),
    onEnd: (span) => recordResponse(span, ctx.endpoint, ctx.body, accumulator.result()),
  };
}
