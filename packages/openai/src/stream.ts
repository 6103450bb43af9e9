import { type LiveSpan, runSafely, SpanEvent } from "@tracewright/core";
import type { Endpoint } from "./endpoints.js";
import type { StreamLike } from "./internal-types.js";
import { recordResponse } from "./record.js";
import type { PluginSettings } from "./settings.js";
import { createStreamAccumulator } from "./stream-accumulator.js";

/** True for openai's Stream: its iterator factory is an own, replaceable property. */
export function isStream(value: unknown): value is StreamLike {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as StreamLike).iterator === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/** Ends spans of streams that were dropped without being consumed. */
const abandoned = new FinalizationRegistry<() => void>((finish) => finish());

/**
 * Keeps the span open while the user consumes the very same Stream object, observing each
 * chunk on its way to the user. Iteration, `tee()`, `toReadableStream()` and
 * `controller.abort()` all go through the stream's iterator factory, which is wrapped here.
 * The span ends when the stream finishes, fails, is aborted or abandoned.
 */
export function observeStream(
  span: LiveSpan,
  stream: StreamLike,
  endpoint: Endpoint,
  body: unknown,
  settings: PluginSettings,
): void {
  const accumulator = createStreamAccumulator(endpoint);
  const startedNs = span.startTimeNs;
  let chunks = 0;
  let finished = false;

  const finish = (how: "completed" | "abandoned" | "aborted" | "never consumed", error?: unknown) => {
    if (finished) return;
    finished = true;
    runSafely("finishing a streamed span", () => {
      if (accumulator && chunks > 0) recordResponse(span, endpoint, body, accumulator.result(), settings);
      span.setAttribute("openai.stream.chunks", chunks);
      if (error !== undefined) span.recordException(error);
      else if (how === "aborted") span.addEvent(new SpanEvent({ name: "stream_aborted" }));
      else if (how !== "completed")
        span.addEvent(new SpanEvent({ name: "stream_abandoned", attributes: { reason: how } }));
      span.end();
    });
  };

  const onChunk = (value: unknown) => {
    if (chunks++ === 0) {
      const nowNs = Math.round((performance.timeOrigin + performance.now()) * 1e6);
      span.addEvent(
        new SpanEvent({
          name: "first_chunk",
          timestamp: nowNs,
          attributes: { time_to_first_chunk_ms: Math.round((nowNs - startedNs) / 1e3) / 1e3 },
        }),
      );
    }
    if (accumulator && value !== null && typeof value === "object") accumulator.add(value as Record<string, unknown>);
  };

  const onStep = (step: IteratorResult<unknown>) => {
    if (finished) return;
    // openai ends the iteration quietly after controller.abort(): record why it ended
    if (step.done) finish(stream.controller?.signal?.aborted ? "aborted" : "completed");
    else runSafely("reading a stream chunk", () => onChunk(step.value));
  };
  const onError = (error: unknown) => finish("completed", error);

  const originalIterator = stream.iterator;
  stream.iterator = function observedIterator(this: unknown) {
    const inner = originalIterator.call(this);
    const observed: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      next(...args: [] | [unknown]) {
        const p = inner.next(...args);
        p.then(onStep, onError);
        return p;
      },
      return(value?: unknown) {
        finish(stream.controller?.signal?.aborted ? "aborted" : "abandoned");
        return inner.return ? inner.return(value) : Promise.resolve({ done: true, value });
      },
      throw(error?: unknown) {
        finish("completed", error);
        return inner.throw ? inner.throw(error) : Promise.reject(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return observed;
  };
  abandoned.register(stream, () => finish("never consumed"));
}
