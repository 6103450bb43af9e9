import { AsyncLocalStorage } from "node:async_hooks";
import { runSafely } from "@tracewright/core";
import type { LangChainCopy } from "./langchain-copies.js";

/** Who can end a run (and its open descendants) that LangChain will never end. */
export interface AbandonableRunOwner {
  abandonRun(runId: string, reason: string): void;
}

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

const PATCHED = Symbol.for("tracewright.langchain.stream-abandonment");
type AnyFunction = (this: object, ...args: unknown[]) => unknown;

function patch(target: object, name: string, wrap: (original: AnyFunction) => AnyFunction): void {
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== "function" || (original as { [PATCHED]?: true })[PATCHED]) return;
  const wrapped = wrap(original as AnyFunction);
  Object.defineProperty(wrapped, PATCHED, { value: true });
  Object.defineProperty(target, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
}

/** `stream()` returns LangChain's own promise; its stream is watched once it arrives. */
function wrapStream(original: AnyFunction): AnyFunction {
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
function wrapStop(original: AnyFunction): AnyFunction {
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

/** Ends the runs of LangChain streams that their consumer stops or drops before the end. */
export function installStreamAbandonment(copies: LangChainCopy[]): void {
  for (const copy of copies) {
    patch(copy.Runnable.prototype, "stream", wrapStream);
    patch(copy.RunnableMap.prototype, "stream", wrapStream);
    patch(copy.IterableReadableStream.prototype, "return", wrapStop);
    patch(copy.IterableReadableStream.prototype, "throw", wrapStop);
  }
}
