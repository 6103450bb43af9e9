import { isPromise, isProxy } from "node:util/types";
import type { LiveSpan } from "../entities/live-span.js";
import { SpanEvent } from "../entities/span-event.js";
import { log } from "../internal/log.js";
import type { InstrumentHooks } from "./instrument.js";
import { runSafely } from "./safely.js";

/*
 * Watching a returned thenable settle, as transparently as the plain call: `then` is called at
 * most once, and only when the caller calls it.
 *
 * A native promise has no user-visible `then`: observing it is free of side effects. Any other
 * thenable may be lazy — a query builder (knex, drizzle) runs its query on each `then`, openai's
 * APIPromise parses the body on `then` — so we never call its `then` ourselves. Instead the
 * caller's own first `then` call (what `await` does) is routed through a one-shot interposer that
 * forwards to the original `then` with the caller's callbacks, observing the outcome on the way.
 */

/** @internal Records `error` on `span` and ends it; never throws. */
export function endWithError(span: LiveSpan, error: unknown, hooks: InstrumentHooks<unknown> | undefined): void {
  runSafely("recording an error", () => {
    hooks?.onError?.(span, error);
    span.recordException(error);
  });
  // ended on its own: a hostile error (a throwing `message` getter) must not leave the trace open
  runSafely("ending a span", () => span.end());
}

/** @internal Records `result` on `span` (through the hooks) and ends it unless kept open; never throws. */
export function endWithResult(span: LiveSpan, result: unknown, hooks: InstrumentHooks<unknown> | undefined): void {
  // runSafely's work, spelled out: this runs once per span, and closures cost on that path
  let keep: unknown;
  try {
    keep = hooks?.onResult?.(span, result as never);
  } catch (e) {
    log.error("tracing failed while recording a result", e);
  }
  // a failed recording still ends the span: an open span would hold its whole trace back
  if (keep === "keep-open") return;
  try {
    span.end();
  } catch (e) {
    log.error("tracing failed while ending a span", e);
  }
}

const nativeThen = Promise.prototype.then;

/** A plain native promise: its `then` is the built-in one and calling it runs no user code. */
function isPlainPromise(value: object): value is Promise<unknown> {
  return isPromise(value) && Object.getPrototypeOf(value) === Promise.prototype && !Object.hasOwn(value, "then");
}

/** Ends spans whose thenable was dropped without anyone awaiting it. */
const neverAwaited = new FinalizationRegistry<LiveSpan>((span) => {
  runSafely("ending a span whose result was never awaited", () => {
    if (span.ended) return;
    span.addEvent(new SpanEvent({ name: "result_never_awaited" }));
    span.end();
  });
});

/**
 * Ends `span` when `result` settles, recording the value or the error through `hooks`. Never
 * throws and never changes what the caller sees of `result`.
 */
export function observeSettlement(
  span: LiveSpan,
  result: PromiseLike<unknown>,
  hooks: InstrumentHooks<unknown> | undefined,
): void {
  try {
    if (isPlainPromise(result)) {
      nativeThen.call(
        result,
        (value) => endWithResult(span, value, hooks),
        (error: unknown) => endWithError(span, error, hooks),
      );
      return;
    }
    if (!interposeFirstThen(span, result, hooks)) {
      // cannot watch it without side effects: the span covers the call itself
      span.addEvent(new SpanEvent({ name: "result_not_observed", attributes: { reason: "opaque thenable" } }));
      span.end();
    }
  } catch {
    runSafely("ending a span", () => span.end());
  }
}

type Then = (this: unknown, onFulfilled?: unknown, onRejected?: unknown) => unknown;

/**
 * Puts a one-shot `then` on the thenable itself. The first call restores the property as it was
 * and forwards to the original `then`, with callbacks that record the outcome before handing it
 * to the caller's own callbacks. Returns false when the object cannot take the property
 * (a Proxy, whose traps would see us, or a frozen or non-extensible object).
 */
function interposeFirstThen(
  span: LiveSpan,
  thenable: PromiseLike<unknown>,
  hooks: InstrumentHooks<unknown> | undefined,
): boolean {
  if (isProxy(thenable) || !Object.isExtensible(thenable)) return false;
  const own = Object.getOwnPropertyDescriptor(thenable, "then");
  if (own && !own.configurable) return false;
  const original = (own ? ("value" in own ? own.value : own.get?.call(thenable)) : thenable.then) as Then;
  if (typeof original !== "function") return false;
  const restore = () => {
    // biome-ignore lint/suspicious/noThenProperty: puts the caller's own `then` back as it was
    if (own) Object.defineProperty(thenable, "then", own);
    else delete (thenable as { then?: unknown }).then;
  };
  // biome-ignore lint/suspicious/noThenProperty: the one-shot interposer described above
  Object.defineProperty(thenable, "then", {
    configurable: true,
    enumerable: own?.enumerable ?? false,
    writable: true,
    value: function then(this: unknown, onFulfilled?: unknown, onRejected?: unknown): unknown {
      restore();
      neverAwaited.unregister(thenable);
      return original.call(
        this,
        (value: unknown) => {
          endWithResult(span, value, hooks);
          return typeof onFulfilled === "function" ? onFulfilled(value) : value;
        },
        (error: unknown) => {
          endWithError(span, error, hooks);
          if (typeof onRejected === "function") return onRejected(error);
          throw error;
        },
      );
    },
  });
  neverAwaited.register(thenable, span, thenable);
  return true;
}
