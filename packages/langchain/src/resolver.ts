import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { type LiveSpan, registerActiveSpanResolver } from "@tracewright/core";
import { langchainCopies } from "./langchain-copies.js";
import { installQueuedCallContexts } from "./queued-calls.js";
import { currentRunCall, installRunCallContexts, type RunOwner } from "./run-call.js";
import { installStreamAbandonment } from "./stream-abandonment.js";

let installed = false;

/** The callbacks of the LangChain run the current code executes in, from LangChain's async context. */
interface ContextCallbacks {
  getParentRunId?: () => string | undefined;
  handlers?: unknown[];
}

function isRunOwner(handler: unknown): handler is RunOwner {
  return typeof (handler as RunOwner | null)?.spanOfRun === "function";
}

/**
 * The span of the LangChain run the current code executes in (a lambda, a graph node, a tool):
 * LangChain's async context holds that run's callbacks, our handler among them.
 */
function spanOfContextRun(): LiveSpan | null {
  const config = AsyncLocalStorageProviderSingleton.getRunnableConfig() as { callbacks?: ContextCallbacks } | undefined;
  const runId = config?.callbacks?.getParentRunId?.();
  if (runId === undefined) return null;
  for (const handler of config?.callbacks?.handlers ?? []) {
    const span = isRunOwner(handler) ? handler.spanOfRun(runId) : null;
    if (span) return span;
  }
  return null;
}

/**
 * The span of the LangChain run the current async context belongs to, and nothing else: inside
 * a model invocation, the model run's span (its SDK call nests there); inside a runnable (a
 * lambda, a graph node, a tool), that run's span; elsewhere none.
 */
export function langchainSpanOfContext(): LiveSpan | null {
  const call = currentRunCall();
  if (call && call.runs.length > 0) return call.ownerSpan();
  return spanOfContextRun();
}

/**
 * Once per process, when the first handler is made: hooks LangChain so that model and retriever
 * invocations carry their run, queued SDK calls keep their caller's context and stopped streams
 * end their runs, and registers the resolver. Nothing of the handlers is kept here.
 */
export function installLangChainContexts(): void {
  if (installed) return;
  installed = true;
  const copies = langchainCopies();
  installRunCallContexts(copies);
  installStreamAbandonment(copies);
  installQueuedCallContexts(copies);
  registerActiveSpanResolver(langchainSpanOfContext);
}
