import { isPromise } from "node:util/types";
import { type Context, context } from "@opentelemetry/api";
import type { SpanType } from "../constants.js";
import type { LiveSpan } from "../entities/live-span.js";
import { log } from "../internal/log.js";
import { activeLiveSpanIn, ensureContextManager, foreignSpanContextIn, runWithSpan } from "./context.js";
import type { Redactor } from "./redaction.js";
import { runSafely } from "./safely.js";
import { endWithError, endWithResult, observeSettlement } from "./settlement.js";
import { isTracingEnabled } from "./state.js";
import { registry } from "./trace-registry.js";

export { runSafely };

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
  /** Applied to this span's inputs, outputs and attributes before they are recorded (integrations set it through the kit). */
  redactor?: Redactor;
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

/**
 * Typed check for promises and promise-like results (e.g. openai's APIPromise). Never throws: a
 * value whose `then` getter throws, or a revoked Proxy, is not a thenable here, just as the plain
 * caller would get it back untouched.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  if (isPromise(value)) return true;
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return false;
  }
}

/** @internal Opens a span, or returns null (and logs) when tracing is off or fails. */
export function openSpan(options: SpanOptions): LiveSpan | null {
  if (!isTracingEnabled()) return null;
  return openSpanIn(options, activeContext());
}

/** @internal The active OpenTelemetry context, once a context manager is in place. */
export function activeContext(): Context {
  ensureContextManager();
  return context.active();
}

/** @internal {@link openSpan} in a context already read (the span's parent is looked up in it). */
export function openSpanIn(options: SpanOptions, ctx: Context): LiveSpan | null {
  try {
    const parent = options.parent === undefined ? activeLiveSpanIn(ctx) : options.parent;
    if (parent?._record.suppressedChildTypes?.has(options.spanType ?? "UNKNOWN")) return null;
    const remoteParent = options.parent === undefined && parent === null ? foreignSpanContextIn(ctx) : null;
    return registry.startSpan(options, parent, remoteParent);
  } catch (e) {
    log.error(`could not start span "${options.name}"`, e);
    return null;
  }
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
  if (!isTracingEnabled()) return call(null);
  // one read of the context serves the parent lookups and the span's own context
  const ctx = activeContext();
  const span = openSpanIn(options, ctx);
  if (span === null) return call(null);
  return runInSpan(span, ctx, () => call(span), hooks);
}

/**
 * @internal The second half of {@link instrumentCall}, for a caller that opened `span` itself in
 * `ctx` (with {@link activeContext} and {@link openSpanIn}): runs `body` with the span active,
 * and ends the span when `body` returns, throws, or its promise settles.
 */
export function runInSpan<T>(span: LiveSpan, ctx: Context, body: () => T, hooks: InstrumentHooks<T> | undefined): T {
  const h = hooks as InstrumentHooks<unknown> | undefined;
  let result: T;
  try {
    result = runWithSpan(span, body, ctx);
  } catch (error) {
    endWithError(span, error, h);
    throw error;
  }
  if (h?.awaitResult !== false && isThenable(result)) {
    observeSettlement(span, result, h);
    return result;
  }
  endWithResult(span, result, h);
  return result;
}
