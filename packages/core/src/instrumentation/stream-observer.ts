/**
 * Keeps a span open while the user reads a stream the traced call returned, and ends it once
 * however the stream ends: read to the end, failed, aborted, abandoned (`break`), or dropped and
 * garbage collected before any of these. The user keeps the very same stream object: only its
 * iterator factory (or, for a generator, its own `next` / `return` / `throw`) is wrapped in place,
 * so every helper that reads through it (`tee()`, `toReadableStream()`, `for await`) is observed.
 */

import type { LiveSpan } from "../entities/live-span.js";
import { SpanEvent } from "../entities/span-event.js";
import { nowNs } from "../internal/clock.js";
import { runSafely } from "../tracing/safely.js";

/** How a stream ended, as the span's `stream_abandoned` event names it. */
export type StreamEnding = "completed" | "abandoned" | "aborted" | "never consumed" | "dropped";

/**
 * What the integration does with the values of one observed stream. The hooks must not reference
 * the stream (build them in a function that does not receive it): they are kept until the stream
 * ends or is collected, and a reference back would keep it alive.
 */
export interface StreamHooks {
  /** Each value on its way to the user (after the user's iterator received it). Errors are logged. */
  onChunk?: (value: unknown) => void;
  /**
   * Once, when the stream ends, before the span ends: record the outputs rebuilt from the chunks.
   * Called only when at least one chunk arrived.
   */
  onEnd?: (span: LiveSpan) => void;
  /** The span attribute that counts the chunks read, e.g. `"openai.stream.chunks"`. */
  chunkCountAttribute: string;
  /** The stream's abort signal, when it has one: tells `controller.abort()` from a normal end. */
  signal?: AbortSignal | undefined;
}

/**
 * What is kept about one stream while it is read. It must never reference the stream itself: it
 * is the held value of the finalization registry below (held strongly until the stream is
 * collected), so a reference back would keep every stream alive forever.
 */
class StreamObservation {
  private chunks = 0;
  private finished = false;

  constructor(
    private readonly span: LiveSpan,
    private readonly hooks: StreamHooks,
  ) {}

  get aborted(): boolean {
    return this.hooks.signal?.aborted === true;
  }

  chunk(value: unknown): void {
    if (this.finished) return;
    if (this.chunks++ === 0) {
      const now = nowNs();
      this.span.addEvent(
        new SpanEvent({
          name: "first_chunk",
          timestamp: now,
          attributes: { time_to_first_chunk_ms: Math.round((now - this.span.startTimeNs) / 1e3) / 1e3 },
        }),
      );
    }
    this.hooks.onChunk?.(value);
  }

  /** Ends the span once, with what arrived so far and why the stream ended. */
  finish(how: StreamEnding, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    abandoned.unregister(this);
    runSafely("finishing a streamed span", () => {
      if (this.chunks > 0 && this.hooks.onEnd) {
        const onEnd = this.hooks.onEnd;
        runSafely("recording a stream's outputs", () => onEnd(this.span));
      }
      this.span.setAttribute(this.hooks.chunkCountAttribute, this.chunks);
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
    this.finish(this.chunks === 0 ? "never consumed" : "dropped");
  }
}

/** Ends the spans of streams that were dropped (unread, or partly read) without ending. */
const abandoned = new FinalizationRegistry<StreamObservation>((observation) => observation.collected());

/** Observers of one iteration's steps; they refer to the observation only. */
function stepObservers(observation: StreamObservation) {
  return {
    onStep(step: IteratorResult<unknown>): void {
      // SDKs end the iteration quietly after controller.abort(): record why it ended
      if (step.done) observation.finish(observation.aborted ? "aborted" : "completed");
      else runSafely("reading a stream chunk", () => observation.chunk(step.value));
    },
    onError(error: unknown): void {
      observation.finish("completed", error);
    },
  };
}

/** An iterator that forwards to `inner` and tells the observation about each step. */
function observedIterator(inner: AsyncIterator<unknown>, observation: StreamObservation) {
  const { onStep, onError } = stepObservers(observation);
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

/** An object whose iterator factory is an own, replaceable method (a Stainless SDK's `Stream`). */
export interface IteratorFactoryStream {
  iterator: () => AsyncIterator<unknown>;
}

/** True for a stream with a replaceable `iterator` factory that is also async-iterable. */
export function hasIteratorFactory(value: unknown): value is IteratorFactoryStream {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as IteratorFactoryStream).iterator === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/**
 * Observes a stream whose reads all go through its own `iterator()` factory, as the `Stream` of
 * Stainless-generated SDKs (openai, `@anthropic-ai/sdk`): iteration, `tee()`,
 * `toReadableStream()` and `controller.abort()` included. The span stays open until the stream
 * ends, and ends then.
 */
export function observeIteratorFactoryStream(span: LiveSpan, stream: IteratorFactoryStream, hooks: StreamHooks): void {
  const observation = new StreamObservation(span, hooks);
  wrapIteratorFactory(stream, observation);
  abandoned.register(stream, observation, observation);
}

/** Kept apart from the observe functions so the wrapper's closure captures no reference to the stream. */
function wrapIteratorFactory(stream: IteratorFactoryStream, observation: StreamObservation): void {
  const originalIterator = stream.iterator;
  stream.iterator = function iterator(this: unknown) {
    return observedIterator(originalIterator.call(this), observation);
  };
}

/**
 * Observes any async iterable the user receives (an SDK's stream object, or an async generator),
 * in place: its `[Symbol.asyncIterator]` is wrapped on the object itself, and for an object that
 * is its own iterator (an async generator) its `next`, `return` and `throw` are, so `for await`
 * and direct `next()` calls are both seen. The object the user holds stays the same object.
 */
export function observeAsyncIterable(span: LiveSpan, iterable: AsyncIterable<unknown>, hooks: StreamHooks): void {
  const observation = new StreamObservation(span, hooks);
  const factory = (iterable as { [Symbol.asyncIterator]: (this: unknown) => AsyncIterator<unknown> })[
    Symbol.asyncIterator
  ];
  const selfIterating = typeof (iterable as Partial<AsyncIterator<unknown>>).next === "function";
  if (selfIterating) wrapOwnIterator(iterable as unknown as AsyncIterator<unknown>, observation);
  else wrapAsyncIteratorFactory(iterable, factory, observation);
  abandoned.register(iterable, observation, observation);
}

function wrapAsyncIteratorFactory(
  iterable: AsyncIterable<unknown>,
  factory: (this: unknown) => AsyncIterator<unknown>,
  observation: StreamObservation,
): void {
  Object.defineProperty(iterable, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function asyncIterator(this: unknown) {
      return observedIterator(factory.call(this), observation);
    },
  });
}

/** For an object that is its own iterator: wraps its `next` / `return` / `throw` as own properties. */
function wrapOwnIterator(iterator: AsyncIterator<unknown>, observation: StreamObservation): void {
  const { onStep, onError } = stepObservers(observation);
  const next = iterator.next;
  const ret = iterator.return;
  const thr = iterator.throw;
  const define = (name: "next" | "return" | "throw", value: (...args: never[]) => unknown) =>
    Object.defineProperty(iterator, name, { configurable: true, writable: true, value });
  define("next", function observedNext(this: unknown, ...args: [] | [unknown]) {
    const p = next.apply(this, args as []);
    p.then(onStep, onError);
    return p;
  });
  if (ret) {
    define("return", function observedReturn(this: unknown, value?: unknown) {
      observation.finish(observation.aborted ? "aborted" : "abandoned");
      return ret.call(this, value);
    });
  }
  if (thr) {
    define("throw", function observedThrow(this: unknown, error?: unknown) {
      observation.finish("completed", error);
      return thr.call(this, error);
    });
  }
}
