import type { SpanType } from "../constants.js";
import type { LiveSpan } from "../entities/live-span.js";
import { log } from "../internal/log.js";
import { activeForeignSpanContext, activeLiveSpan, ensureContextManager, runWithSpan } from "./context.js";
import { isTracingEnabled } from "./state.js";
import { registry } from "./trace-registry.js";

/** How to open a span. */
export interface SpanOptions {
  name: string;
  spanType?: SpanType;
  inputs?: unknown;
  attributes?: Record<string, unknown>;
  /** Parent span; defaults to the active span. Pass null to start a new trace. */
  parent?: LiveSpan | null;
  /** Start time, nanoseconds since the epoch; defaults to now. */
  startTimeNs?: number;
}

/** What {@link instrumentCall} does with the call's result. */
export interface InstrumentHooks<T> {
  /**
   * Receives the result (awaited when the call returned a promise) to record outputs.
   * Return `"keep-open"` to end the span yourself later, e.g. when a stream is consumed.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing are the common case
  onResult?: (span: LiveSpan, result: Awaited<T>) => void | "keep-open";
  /** Receives the user's error before it is rethrown unchanged. */
  onError?: (span: LiveSpan, error: unknown) => void;
  /**
   * Wait for a returned promise before calling `onResult` (default true). With `false`,
   * `onResult` receives the returned value itself, untouched (not even `.then` is called), for
   * results whose consumption must stay with the user, such as openai's lazily parsed APIPromise.
   */
  awaitResult?: boolean;
}

/** Typed check for promises and promise-like results (e.g. openai's APIPromise). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** @internal Opens a span, or returns null (and logs) when tracing is off or fails. */
export function openSpan(options: SpanOptions): LiveSpan | null {
  if (!isTracingEnabled()) return null;
  try {
    ensureContextManager();
    const parent = options.parent === undefined ? activeLiveSpan() : options.parent;
    if (parent?._record.suppressedChildTypes?.has(options.spanType ?? "UNKNOWN")) return null;
    const remoteParent = options.parent === undefined && parent === null ? activeForeignSpanContext() : null;
    return registry.startSpan({
      remoteParent,
      name: options.name,
      spanType: options.spanType,
      parent,
      inputs: options.inputs,
      attributes: options.attributes,
      startTimeNs: options.startTimeNs,
    });
  } catch (e) {
    log.error(`could not start span "${options.name}"`, e);
    return null;
  }
}

/**
 * Runs instrumentation code that must never disturb the user's program: a failure is logged
 * (as "tracing failed while <what>") and swallowed.
 */
export function runSafely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error(`tracing failed while ${what}`, e);
  }
}

function endWithError(span: LiveSpan, error: unknown, hooks: InstrumentHooks<unknown> | undefined): void {
  runSafely("recording an error", () => {
    hooks?.onError?.(span, error);
    span.recordException(error);
    span.end();
  });
}

function endWithResult(span: LiveSpan, result: unknown, hooks: InstrumentHooks<unknown> | undefined): void {
  let keep: unknown;
  runSafely("recording a result", () => {
    keep = hooks?.onResult?.(span, result as never);
  });
  // a failed recording still ends the span: an open span would hold its whole trace back
  if (keep !== "keep-open") runSafely("ending a span", () => span.end());
}

/**
 * Runs `call` inside a new span and returns exactly what it returns: the same value, the same
 * promise object (so subclasses such as openai's `APIPromise` keep their helpers), the same
 * thrown error. The span ends when the call returns or its promise settles, unless
 * `onResult` keeps it open. Tracing failures are logged, never thrown into the call.
 *
 * This is the one wrapper every integration uses to honour "never break the user's call".
 *
 * @example
 * ```ts
 * const reply = instrumentCall({ name: "Completions", spanType: "CHAT_MODEL", inputs: params },
 *   (span) => original.call(this, params),
 *   { onResult: (span, response) => span.setOutputs(response) });
 * ```
 */
export function instrumentCall<T>(
  options: SpanOptions,
  call: (span: LiveSpan | null) => T,
  hooks?: InstrumentHooks<T>,
): T {
  const span = openSpan(options);
  if (span === null) return call(null);
  const h = hooks as InstrumentHooks<unknown> | undefined;
  let result: T;
  try {
    result = runWithSpan(span, () => call(span));
  } catch (error) {
    endWithError(span, error, h);
    throw error;
  }
  if (h?.awaitResult !== false && isThenable(result)) {
    try {
      result.then(
        (value) => endWithResult(span, value, h),
        (error: unknown) => endWithError(span, error, h),
      );
    } catch (e) {
      log.error("could not observe the returned promise", e);
      runSafely("ending a span", () => span.end());
    }
    return result;
  }
  endWithResult(span, result, h);
  return result;
}
