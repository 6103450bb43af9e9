import type { LiveSpan } from "@tracewright/core";
import { observeAsyncIterable, type StreamHooks } from "@tracewright/core/instrumentation";
import { recordResponse } from "./convert.js";
import { GenerateContentAccumulator } from "./stream-accumulator.js";
import type { CallSettings, Endpoint } from "./types.js";

/** True for the async generators the *Stream methods resolve to. */
export function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as AsyncGenerator).next === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/** What one streamed call needs to record its outcome. */
export interface StreamContext {
  endpoint: Endpoint;
  /** The generateContent parameters sent (for a chat: the history and the new message). */
  request: () => unknown;
  settings: CallSettings;
}

/**
 * The stream's hooks: each chunk into the accumulator, the rebuilt reply recorded at the end.
 * Built apart from the generator, so that nothing the kit keeps refers back to it.
 */
function streamHooks(ctx: StreamContext): StreamHooks {
  const accumulator = new GenerateContentAccumulator();
  return {
    chunkCountAttribute: "gemini.stream.chunks",
    onChunk: (chunk) => accumulator.add(chunk),
    onEnd: (span) => recordResponse(span, ctx.endpoint, ctx.request(), accumulator.result(), ctx.settings),
  };
}

/**
 * Keeps the span open while the user reads the very same generator (the kit observes its own
 * `next`, `return` and `throw` in place): it records the reply rebuilt from the chunks, and ends
 * when the stream finishes, fails or is broken off (`stream_abandoned`), or when the generator is
 * garbage collected before that.
 */
export function observeStream(span: LiveSpan, generator: AsyncGenerator<unknown>, ctx: StreamContext): void {
  observeAsyncIterable(span, generator, streamHooks(ctx));
}
