import { type LiveSpan, SpanEvent } from "@tracewright/core";
import { runSafely } from "@tracewright/core/instrumentation";
import type { CallContext } from "./call-outcome.js";
import { recordResponse } from "./convert.js";
import { StreamAccumulator } from "./stream-accumulator.js";
import type { StreamLike } from "./types.js";

/** The span attribute counting the server-sent events the user read. */
export const STREAM_EVENTS_ATTRIBUTE = "anthropic.stream.events";

/** True for the SDK's Stream: its iterator factory is an own, replaceable property. */
export function isStream(value: unknown): value is StreamLike {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as StreamLike).iterator === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

type Ending = "completed" | "abandoned" | "aborted" | "never consumed" | "dropped";

/**
 * What the integration keeps about one stream while it is read. It must never reference the
 * Stream itself: it is the held value of the finalization registry below (held strongly until
 * the stream is collected), so a reference back would keep every stream alive.
 */
class StreamObservation {
  private events = 0;
  private finished = false;
  private readonly accumulator = new StreamAccumulator();

  constructor(
    private readonly span: LiveSpan,
    private readonly ctx: CallContext,
    /** The stream's abort signal (not the stream): tells an abort from a normal end. */
    private readonly signal: AbortSignal | undefined,
  ) {}

  get aborted(): boolean {
    return this.signal?.aborted === true;
  }

  event(value: unknown): void {
    if (this.finished) return;
    if (this.events++ === 0) {
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

  /** Ends the span once, with the Message rebuilt from what arrived and why the stream ended. */
  finish(how: Ending, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    abandoned.unregister(this);
    runSafely("finishing a streamed span", () => {
      if (this.events > 0) recordResponse(this.span, this.ctx.endpoint, this.ctx.body, this.accumulator.result());
      this.span.setAttribute(STREAM_EVENTS_ATTRIBUTE, this.events);
      if (error !== undefined) this.span.recordException(error);
      else if (how === "aborted") this.span.addEvent(new SpanEvent({ name: "stream_aborted" }));
      else if (how !== "completed") {
        this.span.addEvent(new SpanEvent({ name: "stream_abandoned", attributes: { reason: how } }));
      }
      this.span.end();
    });
  }

  /** Called when the stream was garbage collected before it ended. */
  collected(): void {
    this.finish(this.events === 0 ? "never consumed" : "dropped");
  }
}

/** Ends the spans of streams that were dropped (unread, or partly read) without ending. */
const abandoned = new FinalizationRegistry<StreamObservation>((observation) => observation.collected());

/** The observed iterator handed out by the stream's iterator factory; refers to the observation only. */
function observedIterator(inner: AsyncIterator<unknown>, observation: StreamObservation) {
  const onStep = (step: IteratorResult<unknown>) => {
    // the SDK ends the iteration quietly after controller.abort(): record why it ended
    if (step.done) observation.finish(observation.aborted ? "aborted" : "completed");
    else runSafely("reading a stream event", () => observation.event(step.value));
  };
  const onError = (error: unknown) => observation.finish("completed", error);
  const observed: AsyncIterator<unknown> & AsyncIterable<unknown> = {
    next(...args: [] | [unknown]) {
      const p = inner.next(...args);
      p.then(onStep, onError);
      return p;
    },
    return(value?: unknown) {
      observation.finish(observation.aborted ? "aborted" : "abandoned");
      return inner.return ? inner.return(value) : Promise.resolve({ done: true, value });
    },
    throw(error?: unknown) {
      observation.finish("completed", error);
      return inner.throw ? inner.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return observed;
}

/**
 * Keeps the span open while the user consumes the very same Stream object, observing each event
 * on its way to the user. Iteration, `tee()`, `toReadableStream()`, the `messages.stream()`
 * helper's MessageStream and `controller.abort()` all go through the stream's iterator factory,
 * which is wrapped here. The span ends when the stream finishes, fails, is aborted or abandoned
 * (`break`), or when the stream is garbage collected before any of these.
 */
export function observeStream(span: LiveSpan, stream: StreamLike, ctx: CallContext): void {
  const observation = new StreamObservation(span, ctx, stream.controller?.signal);
  wrapIteratorFactory(stream, observation);
  abandoned.register(stream, observation, observation);
}

/** Kept apart from observeStream so the wrapper's closure captures no reference to the stream. */
function wrapIteratorFactory(stream: StreamLike, observation: StreamObservation): void {
  const originalIterator = stream.iterator;
  stream.iterator = function iterator(this: unknown) {
    return observedIterator(originalIterator.call(this), observation);
  };
}
