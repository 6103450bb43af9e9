import { type LiveSpan, SpanEvent } from "@tracewright/core";
import { runSafely } from "@tracewright/core/instrumentation";
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

type Ending = "completed" | "abandoned" | "never consumed" | "dropped";

/** What one streamed call needs to record its outcome. */
export interface StreamContext {
  endpoint: Endpoint;
  /** The generateContent parameters sent (for a chat: the history and the new message). */
  request: () => unknown;
  settings: CallSettings;
}

/**
 * What the plugin keeps about one stream while it is read. It must never reference the
 * generator itself: it is the held value of the finalization registry below (held strongly until
 * the generator is collected), so a reference back would keep every stream alive forever.
 */
class StreamObservation {
  private chunks = 0;
  private finished = false;
  private readonly accumulator = new GenerateContentAccumulator();

  constructor(
    private readonly span: LiveSpan,
    private readonly ctx: StreamContext,
  ) {}

  chunk(value: unknown): void {
    if (this.finished) return;
    if (this.chunks++ === 0) {
      const nowNs = Math.round((performance.timeOrigin + performance.now()) * 1e6);
      this.span.addEvent(
        new SpanEvent({
          name: "first_chunk",
          timestamp: nowNs,
          attributes: { time_to_first_chunk_ms: Math.round((nowNs - this.span.startTimeNs) / 1e3) / 1e3 },
        }),
      );
    }
    this.accumulator.add(value);
  }

  /** Ends the span once, with what arrived so far and why the stream ended. */
  finish(how: Ending, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    abandoned.unregister(this);
    runSafely("finishing a streamed span", () => {
      if (this.chunks > 0) {
        const { endpoint, request, settings } = this.ctx;
        recordResponse(this.span, endpoint, request(), this.accumulator.result(), settings);
      }
      this.span.setAttribute("gemini.stream.chunks", this.chunks);
      if (error !== undefined) this.span.recordException(error);
      else if (how !== "completed") {
        this.span.addEvent(new SpanEvent({ name: "stream_abandoned", attributes: { reason: how } }));
      }
      this.span.end();
    });
  }

  /** Called when the generator was garbage collected before it ended. */
  collected(): void {
    this.finish(this.chunks === 0 ? "never consumed" : "dropped");
  }
}

/** Ends the spans of streams that were dropped (unread, or partly read) without ending. */
const abandoned = new FinalizationRegistry<StreamObservation>((observation) => observation.collected());

/**
 * Keeps the span open while the user reads the very same generator, observing each chunk on its
 * way. Its `next`, `return` and `throw` are shadowed by own properties that call the originals
 * (`for await` reads `next` once and calls `return` on `break`). The span ends when the stream
 * finishes, fails or is broken off, or when the generator is garbage collected before that.
 */
export function observeStream(span: LiveSpan, generator: AsyncGenerator<unknown>, ctx: StreamContext): void {
  const observation = new StreamObservation(span, ctx);
  shadowMethods(generator, observation);
  abandoned.register(generator, observation, observation);
}

/** Kept apart from observeStream so that nothing here captures the generator. */
function shadowMethods(generator: AsyncGenerator<unknown>, observation: StreamObservation): void {
  const { next, return: ret, throw: thr } = generator;
  const onStep = (step: IteratorResult<unknown>) => {
    if (step.done) observation.finish("completed");
    else runSafely("reading a stream chunk", () => observation.chunk(step.value));
  };
  const onError = (error: unknown) => observation.finish("completed", error);
  const own = (name: string, value: unknown) =>
    Object.defineProperty(generator, name, { value, writable: true, configurable: true, enumerable: false });
  own("next", function (this: unknown, ...args: [] | [unknown]) {
    const p = next.apply(this, args);
    p.then(onStep, onError);
    return p;
  });
  own("return", function (this: unknown, value?: unknown) {
    observation.finish("abandoned");
    return ret.call(this, value);
  });
  own("throw", function (this: unknown, error?: unknown) {
    observation.finish("completed", error);
    return thr.call(this, error);
  });
}
