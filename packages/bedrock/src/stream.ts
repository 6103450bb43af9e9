/**
 * Streamed replies (ConverseStream's `stream`, InvokeModelWithResponseStream's `body`): the user
 * gets the very same async iterable, yielding the very same event objects (and chunk bytes); its
 * iterator factory is wrapped so each event is observed on its way to the user. The span ends
 * when the stream ends, fails, is broken off, or is garbage collected unfinished.
 */
import { type LiveSpan, SpanAttributeKey, SpanEvent } from "@tracewright/core";
import { isRecord, runSafely } from "@tracewright/core/instrumentation";
import { ConverseStreamBuilder } from "./converse.js";
import { chunkText, invokeOutputMessages, parseBody } from "./invoke-model.js";
import { inputMessages, recordConverse, recordMessages } from "./record.js";
import type { OperationKind } from "./types.js";
import { StreamUsage } from "./usage.js";

type Obj = Record<string, unknown>;

/** Adds up a stream's events into what the span records at the end. */
interface StreamAccumulator {
  add(event: Obj): void;
  finish(span: LiveSpan): void;
}

/** ConverseStream: the events rebuilt into a Converse response, recorded like one. */
function converseAccumulator(recorded: Obj, output: Obj): StreamAccumulator {
  const builder = new ConverseStreamBuilder();
  // the output's other members ($metadata), without the stream itself
  const { stream: _stream, ...rest } = output;
  return {
    add: (event) => builder.add(event),
    finish: (span) => recordConverse(span, recorded, { ...rest, ...builder.result() }),
  };
}

/** InvokeModelWithResponseStream: each chunk's JSON kept, the reply's text and usage added up. */
function invokeAccumulator(recorded: Obj, output: Obj): StreamAccumulator {
  const chunks: unknown[] = [];
  const usage = new StreamUsage();
  let text = "";
  const { body: _body, ...rest } = output;
  return {
    add(event) {
      const chunk = isRecord(event.chunk) ? parseBody(event.chunk.bytes) : null;
      chunks.push(chunk ?? event);
      if (!isRecord(chunk)) return;
      usage.add(chunk);
      text += chunkText(chunk);
    },
    finish(span) {
      span.setOutputs({ ...rest, body: chunks });
      const total = usage.result();
      if (total) span.setAttribute(SpanAttributeKey.CHAT_USAGE, total);
      const reply = text !== "" ? [{ role: "assistant", content: text }] : invokeOutputMessages(chunks[0]);
      recordMessages(span, inputMessages("invokeModelStream", recorded), reply);
    },
  };
}

type Ending = "completed" | "abandoned" | "never consumed" | "dropped";

/**
 * What the plugin keeps about one stream while it is read. It never references the stream: it
 * is the held value of the finalization registry below, so a reference back would keep every
 * stream alive.
 */
class StreamObservation {
  private events = 0;
  private finished = false;

  constructor(
    private readonly span: LiveSpan,
    private readonly accumulator: StreamAccumulator,
  ) {}

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
    if (isRecord(value)) this.accumulator.add(value);
  }

  /** Ends the span once, with what arrived so far and why the stream ended. */
  finish(how: Ending, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    abandoned.unregister(this);
    runSafely("finishing a streamed Bedrock span", () => {
      if (this.events > 0) this.accumulator.finish(this.span);
      this.span.setAttribute("bedrock.stream.events", this.events);
      if (error !== undefined) this.span.recordException(error);
      else if (how !== "completed") {
        this.span.addEvent(new SpanEvent({ name: "stream_abandoned", attributes: { reason: how } }));
      }
      this.span.end();
    });
  }

  collected(): void {
    this.finish(this.events === 0 ? "never consumed" : "dropped");
  }
}

/** Ends the spans of streams dropped (unread, or partly read) without ending. */
const abandoned = new FinalizationRegistry<StreamObservation>((observation) => observation.collected());

/** The iterator handed to the user: the SDK's own, each step observed; refers to the observation only. */
function observedIterator(
  inner: AsyncIterator<unknown>,
  observation: StreamObservation,
): AsyncIterator<unknown> & AsyncIterable<unknown> {
  const onStep = (step: IteratorResult<unknown>) => {
    if (step.done) observation.finish("completed");
    else runSafely("reading a Bedrock stream event", () => observation.event(step.value));
  };
  const onError = (error: unknown) => observation.finish("completed", error);
  return {
    next(...args: [] | [unknown]) {
      const p = inner.next(...args);
      p.then(onStep, onError);
      return p;
    },
    return(value?: unknown) {
      observation.finish("abandoned");
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
}

type AsyncIterableLike = { [Symbol.asyncIterator]: (this: unknown) => AsyncIterator<unknown> };

/** True when `value` is an async iterable whose iterator factory can be wrapped. */
function isAsyncIterable(value: unknown): value is AsyncIterableLike {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as Partial<AsyncIterableLike>)[Symbol.asyncIterator] === "function"
  );
}

/**
 * Keeps the span open while the user reads the output's event stream (same object, same events),
 * then records the reply. False when the output holds no stream to observe.
 */
export function observeStream(span: LiveSpan, kind: OperationKind, recorded: Obj, output: Obj): boolean {
  const member = kind === "converseStream" ? "stream" : "body";
  const stream = output[member];
  if (!isAsyncIterable(stream)) return false;
  const accumulator =
    kind === "converseStream" ? converseAccumulator(recorded, output) : invokeAccumulator(recorded, output);
  const observation = new StreamObservation(span, accumulator);
  wrapIteratorFactory(stream, observation);
  abandoned.register(stream, observation, observation);
  return true;
}

/** Kept apart from observeStream so the wrapper's closure holds no reference to the stream. */
function wrapIteratorFactory(stream: AsyncIterableLike, observation: StreamObservation): void {
  const original = stream[Symbol.asyncIterator];
  Object.defineProperty(stream, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function asyncIterator(this: unknown) {
      return observedIterator(original.call(this), observation);
    },
  });
}
