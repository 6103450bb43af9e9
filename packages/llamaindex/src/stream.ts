import { type LiveSpan, SpanEvent } from "@tracewright/core";
import { runSafely } from "@tracewright/core/instrumentation";

/** What a consumed LlamaIndex stream amounted to. */
export interface StreamSummary {
  /** The concatenated `delta` text of every chunk. */
  text: string;
  /** Every chunk, in order (the caller decides what to keep). */
  chunks: unknown[];
}

type Obj = Record<string, unknown>;

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/**
 * Ends `span` when the user finishes consuming `stream`, keeping the stream the very same object:
 * its own `Symbol.asyncIterator` is replaced by one that observes the chunks (LlamaIndex itself
 * does the same in its LLM event wrapper). Returns false when the stream cannot be observed.
 */
export function observeStream(
  span: LiveSpan,
  stream: AsyncIterable<unknown>,
  finish: (span: LiveSpan, summary: StreamSummary) => void,
): boolean {
  const target = stream as unknown as Obj & { [Symbol.asyncIterator]: () => AsyncIterator<unknown> };
  const original = target[Symbol.asyncIterator];
  const summary: StreamSummary = { text: "", chunks: [] };
  let done = false;
  const end = (how: "completed" | "failed" | "abandoned", error?: unknown) => {
    if (done) return;
    done = true;
    runSafely("ending a LlamaIndex stream span", () => {
      if (how === "failed") span.recordException(error);
      else finish(span, summary);
      if (how === "abandoned") span.addEvent(new SpanEvent({ name: "stream_abandoned" }));
      span.end();
    });
  };
  const observed = function (this: unknown): AsyncIterator<unknown> {
    const iterator = original.call(this);
    return {
      async next(...args: [] | [unknown]) {
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next(...args);
        } catch (error) {
          end("failed", error);
          throw error;
        }
        if (step.done) end("completed");
        else {
          summary.chunks.push(step.value);
          const delta = (step.value as { delta?: unknown } | null)?.delta;
          if (typeof delta === "string") summary.text += delta;
        }
        return step;
      },
      async return(value?: unknown) {
        end("abandoned");
        return iterator.return ? iterator.return(value) : { done: true, value };
      },
      async throw(error?: unknown) {
        end("failed", error);
        if (iterator.throw) return iterator.throw(error);
        throw error;
      },
    };
  };
  try {
    Object.defineProperty(target, Symbol.asyncIterator, { value: observed, configurable: true, writable: true });
    return true;
  } catch {
    return false;
  }
}
