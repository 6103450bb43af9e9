import type { LiveSpan } from "../entities/live-span.js";
import { runWithSpan } from "./context.js";
import { openSpan, type SpanOptions } from "./instrument.js";

/**
 * Traced generators: the span lives while the caller iterates, each step runs inside it, the
 * yielded items (or the return value) become its outputs, and an early `return()` or a thrown
 * error ends it.
 */
export function* tracedGenerator(
  inner: Generator,
  options: SpanOptions,
  onStart: (span: LiveSpan | null) => void,
): Generator {
  const span = openSpan(options);
  onStart(span);
  if (span === null) return yield* inner;
  const items: unknown[] = [];
  let sent: unknown;
  try {
    for (;;) {
      const step = runWithSpan(span, () => inner.next(sent));
      if (step.done) {
        span.end({ outputs: step.value === undefined ? items : step.value });
        return step.value;
      }
      items.push(step.value);
      sent = yield step.value;
    }
  } catch (error) {
    span.recordException(error);
    span.end();
    throw error;
  } finally {
    if (!span.ended) {
      span.end({ outputs: items });
      inner.return(undefined);
    }
  }
}

export async function* tracedAsyncGenerator(
  inner: AsyncGenerator,
  options: SpanOptions,
  onStart: (span: LiveSpan | null) => void,
): AsyncGenerator {
  const span = openSpan(options);
  onStart(span);
  if (span === null) return yield* inner;
  const items: unknown[] = [];
  let sent: unknown;
  try {
    for (;;) {
      const step = await runWithSpan(span, () => inner.next(sent));
      if (step.done) {
        span.end({ outputs: step.value === undefined ? items : step.value });
        return step.value;
      }
      items.push(step.value);
      sent = yield step.value;
    }
  } catch (error) {
    span.recordException(error);
    span.end();
    throw error;
  } finally {
    if (!span.ended) {
      span.end({ outputs: items });
      await inner.return(undefined);
    }
  }
}
