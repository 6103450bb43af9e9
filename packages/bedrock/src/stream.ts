/**
 * Streamed replies (ConverseStream's `stream`, InvokeModelWithResponseStream's `body`): the user
 * gets the very same async iterable, yielding the very same event objects (and chunk bytes); the
 * kit's stream observer sees each event on its way to the user and ends the span when the stream
 * ends, fails, is broken off, or is garbage collected unfinished.
 */
import { type LiveSpan, SpanAttributeKey } from "@tracewright/core";
import { isRecord, observeAsyncIterable, type StreamHooks } from "@tracewright/core/instrumentation";
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

type AsyncIterableLike = { [Symbol.asyncIterator]: (this: unknown) => AsyncIterator<unknown> };

/** True when `value` is an async iterable whose iterator factory can be wrapped. */
function isAsyncIterable(value: unknown): value is AsyncIterableLike {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as Partial<AsyncIterableLike>)[Symbol.asyncIterator] === "function"
  );
}

/** The kit's stream hooks for one accumulator (built apart from the stream, which they must not hold). */
function streamHooks(accumulator: StreamAccumulator): StreamHooks {
  return {
    chunkCountAttribute: "bedrock.stream.events",
    onChunk: (event) => {
      if (isRecord(event)) accumulator.add(event);
    },
    onEnd: (span) => accumulator.finish(span),
  };
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
  observeAsyncIterable(span, stream, streamHooks(accumulator));
  return true;
}
