/**
 * The outcome of one call to a Stainless-generated SDK (openai, `@anthropic-ai/sdk`): whatever
 * the traced method returned — its lazy `APIPromise`, another thenable, or a value — is observed
 * without being consumed; a parsed response is recorded and ends the span, a `Stream` keeps the
 * span open until it is read, and an error is recorded (the SDK hands it to the user untouched).
 */
import type { LiveSpan } from "../entities/live-span.js";
import { isThenable } from "../tracing/instrument.js";
import { runSafely } from "../tracing/safely.js";
import { type ApiPromiseHooks, isApiPromise, observeApiPromise } from "./api-promise.js";
import { hasIteratorFactory, observeIteratorFactoryStream, type StreamHooks } from "./stream-observer.js";

/** How an integration records one call's parsed body. */
export interface SdkCallRecorder {
  /**
   * For a streamed call: the hooks that fold the stream's chunks into the response (given the
   * stream's abort signal). Build them without a reference to the stream.
   */
  streamHooks: (signal: AbortSignal | undefined) => StreamHooks;
  /** For a parsed response: records it on the span (the kit ends the span afterwards). */
  recordResponse: (span: LiveSpan, value: unknown) => void;
}

/** Records a failed call: its HTTP status when the error carries one, the exception, the end. */
export function recordSdkError(span: LiveSpan, error: unknown): void {
  runSafely("recording an SDK error", () => {
    if (span.ended) return;
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number") span.setAttribute("http.response.status_code", status);
    span.recordException(error);
    span.end();
  });
}

/** Records a parsed body: a response ends the span; a `Stream` keeps it open until it is consumed. */
export function recordSdkResult(span: LiveSpan, value: unknown, recorder: SdkCallRecorder): void {
  runSafely("recording an SDK response", () => {
    if (span.ended) return;
    if (hasIteratorFactory(value)) {
      observeStreamOf(span, value, recorder);
      return;
    }
    recorder.recordResponse(span, value);
    span.end();
  });
}

/** Apart from recordSdkResult so that no closure made there can capture the stream. */
function observeStreamOf(
  span: LiveSpan,
  stream: Parameters<typeof observeIteratorFactoryStream>[1],
  recorder: SdkCallRecorder,
): void {
  const signal = (stream as { controller?: AbortController }).controller?.signal;
  observeIteratorFactoryStream(span, stream, recorder.streamHooks(signal));
}

/** The APIPromise hooks that record through `recorder`. */
function promiseHooks(recorder: SdkCallRecorder): ApiPromiseHooks {
  return {
    onParsed: (span, value) => recordSdkResult(span, value, recorder),
    onFailed: (span, error) => recordSdkError(span, error),
  };
}

/**
 * Observes what a traced SDK method returned and records its outcome on `span` whenever it comes:
 * an `APIPromise` when the user consumes it (never calling its `then`), another thenable when it
 * settles, a plain value at once.
 */
export function observeSdkResult(span: LiveSpan, result: unknown, recorder: SdkCallRecorder): void {
  if (isApiPromise(result)) observeApiPromise(span, result, promiseHooks(recorder));
  else if (isThenable(result)) {
    result.then(
      (value) => recordSdkResult(span, value, recorder),
      (error: unknown) => recordSdkError(span, error),
    );
  } else recordSdkResult(span, result, recorder);
}
