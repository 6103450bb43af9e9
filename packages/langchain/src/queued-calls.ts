import { AsyncLocalStorage } from "node:async_hooks";
import type { LangChainCopy } from "./langchain-copies.js";

const PATCHED = Symbol.for("tracewright.langchain.queued-calls");
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The callable passed at `index` runs in the async context of the code that queued it.
 * LangChain's AsyncCaller runs calls through a p-queue: with a concurrency limit (OpenAIEmbeddings
 * uses 2) a queued call starts when another one finishes, in *that* call's async context, so an
 * SDK call of one request would run in another request's context (and land in its trace).
 */
function bindCallableAt(index: number) {
  return (original: AnyFunction): AnyFunction =>
    function callInCallerContext(this: unknown, ...args: unknown[]) {
      if (typeof args[index] === "function") args[index] = AsyncLocalStorage.bind(args[index] as AnyFunction);
      return original.apply(this, args);
    };
}

function patch(target: object, name: string, wrap: (original: AnyFunction) => AnyFunction): void {
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== "function" || (original as { [PATCHED]?: true })[PATCHED]) return;
  const wrapped = wrap(original as AnyFunction);
  Object.defineProperty(wrapped, PATCHED, { value: true });
  Object.defineProperty(target, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
}

/** Queued calls of LangChain's AsyncCaller (model and embedding requests) keep their caller's context. */
export function installQueuedCallContexts(copies: LangChainCopy[]): void {
  for (const { AsyncCaller } of copies) {
    patch(AsyncCaller.prototype, "call", bindCallableAt(0));
    patch(AsyncCaller.prototype, "callWithOptions", bindCallableAt(1));
  }
}
