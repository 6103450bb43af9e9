import { AsyncLocalStorage } from "node:async_hooks";
import { runSafely } from "@tracewright/core/instrumentation";
import type { AbandonableRunOwner, AnyMethod, Wrap } from "./types.js";

/**
 * The runs a `stream()` call started at its top: LangChain runs the first step of the stream
 * inside `stream()`, so the first run a handler starts in this context is the stream's own.
 * Holds no reference to the stream itself (it is the held value of a FinalizationRegistry).
 */
class StreamCall {
  readonly roots: Array<{ owner: AbandonableRunOwner; runId: string }> = [];

  abandon(reason: string): void {
    for (const { owner, runId } of this.roots.splice(0)) {
      runSafely("ending an abandoned LangChain stream", () => owner.abandonRun(runId, reason));
    }
  }
}

const calls = new AsyncLocalStorage<StreamCall>();
/** The stream call of each stream handed to the user. */
const callOfStream = new WeakMap<object, StreamCall>();
/** A stream dropped before its end: LangChain calls no callback then, so its runs end here. */
const dropped = new FinalizationRegistry<StreamCall>((call) => call.abandon("garbage collected"));

/** Called by a handler when it starts a run: notes the run when it is the top run of a `stream()`. */
export function noteStreamRun(owner: AbandonableRunOwner, runId: string): void {
  const call = calls.getStore();
  if (call && !call.roots.some((r) => r.owner === owner)) call.roots.push({ owner, runId });
}

/** `stream()` returns LangChain's own promise; its stream is watched once it arrives. */
function wrapStream(original: AnyMethod): AnyMethod {
  return function streamWithAbandonment(this: object, ...args: unknown[]) {
    const call = new StreamCall();
    const result = calls.run(call, () => original.apply(this, args));
    if (result instanceof Promise) {
      result.then(
        (stream: unknown) => {
          if (call.roots.length === 0 || stream === null || typeof stream !== "object") return;
          callOfStream.set(stream, call);
          dropped.register(stream, call, call);
        },
        () => undefined,
      );
    }
    return result;
  };
}

/**
 * A consumer that stops early (`break`, `return()`, `throw()`) cancels the stream and LangChain
 * calls no callback: once the cancellation has run through the pipeline, the runs end here.
 */
function wrapStop(original: AnyMethod): AnyMethod {
  return function stopWithAbandonment(this: object, ...args: unknown[]) {
    const call = callOfStream.get(this);
    if (!call) return original.apply(this, args);
    callOfStream.delete(this);
    dropped.unregister(call);
    const settle = () => call.abandon("stopped early");
    const result = original.apply(this, args);
    if (result instanceof Promise) result.then(settle, settle);
    else settle();
    return result;
  };
}

/**
 * A stream's runs end when its consumer stops or drops it before the end: `stream()` of these
 * runnable classes (`Runnable`, `RunnableMap`) notes the stream. False when they do not look right.
 */
export function hookStreams(runnables: Array<object | undefined>, wrap: Wrap): boolean {
  return runnables.every((proto) => proto !== undefined && wrap(proto, "stream", wrapStream));
}

/** `return()` / `throw()` of LangChain's `IterableReadableStream` end a noted stream's runs. */
export function hookStreamStops(iterableReadableStream: object | undefined, wrap: Wrap): boolean {
  if (iterableReadableStream === undefined || !wrap(iterableReadableStream, "return", wrapStop)) return false;
  wrap(iterableReadableStream, "throw", wrapStop);
  return true;
}
