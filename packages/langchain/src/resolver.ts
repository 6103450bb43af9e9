import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { type LiveSpan, registerActiveSpanResolver } from "@tracewright/core";
import { langchainCopies } from "./langchain-copies.js";
import { installQueuedCallContexts } from "./queued-calls.js";
import { currentRunCall, installRunCallContexts, type RunOwner } from "./run-call.js";
import { installStreamAbandonment } from "./stream-abandonment.js";

/** Handlers alive in this process (weakly held): a run id is looked up in each, exactly. */
const liveHandlers = new Set<WeakRef<RunOwner>>();
let installed = false;

/** The id of the LangChain run the current code executes in, from LangChain's async context. */
function currentRunId(): string | undefined {
  const config = AsyncLocalStorageProviderSingleton.getRunnableConfig() as
    | { callbacks?: { getParentRunId?: () => string | undefined } }
    | undefined;
  return config?.callbacks?.getParentRunId?.();
}

function spanOfRunInAnyHandler(runId: string): LiveSpan | null {
  for (const ref of liveHandlers) {
    const handler = ref.deref();
    if (!handler) {
      liveHandlers.delete(ref);
      continue;
    }
    const span = handler.spanOfRun(runId);
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
  const runId = currentRunId();
  return runId === undefined ? null : spanOfRunInAnyHandler(runId);
}

/**
 * Makes a handler's runs findable from async context, and (once per process) hooks LangChain so
 * that model and retriever invocations carry their run, queued SDK calls keep their caller's
 * context, and stopped streams end their runs.
 */
export function registerHandler(handler: RunOwner): void {
  liveHandlers.add(new WeakRef(handler));
  if (installed) return;
  installed = true;
  const copies = langchainCopies();
  installRunCallContexts(copies);
  installStreamAbandonment(copies);
  installQueuedCallContexts(copies);
  registerActiveSpanResolver(langchainSpanOfContext);
}
