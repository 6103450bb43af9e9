import { registerConfigureHook, setContextVariable } from "@langchain/core/context";
import { TracewrightCallbackHandler, type TracewrightCallbackHandlerOptions } from "./handler.js";

/** Options of {@link autolog}. */
export interface LangChainAutologOptions extends TracewrightCallbackHandlerOptions {
  /** Undo autolog: stop adding the handler to new invocations. */
  disable?: boolean;
}

const CONTEXT_VARIABLE = "tracewright_callback_handler";
let hookRegistered = false;
let active: TracewrightCallbackHandler | null = null;

/**
 * Adds the Tracewright handler to every LangChain invocation in the process, through LangChain's
 * own configure hook (`registerConfigureHook`), without touching user code. Call it once at
 * startup, before running chains: LangChain keeps configure hooks in its async context, so code
 * started from the caller's context sees them. Idempotent; `autolog({ disable: true })` undoes it.
 *
 * Calls that LangChain makes through other instrumented SDKs (the openai package with
 * `@tracewright/openai` autolog) nest under the LangChain span that made them.
 *
 * @example
 * ```ts
 * import * as langchain from "@tracewright/langchain";
 * langchain.autolog();
 * await chain.invoke({ question: "..." }); // one trace per top-level invocation
 * ```
 */
export function autolog(options: LangChainAutologOptions = {}): TracewrightCallbackHandler | null {
  if (options.disable) {
    active = null;
    setContextVariable(CONTEXT_VARIABLE, undefined);
    return null;
  }
  if (!hookRegistered) {
    registerConfigureHook({ contextVar: CONTEXT_VARIABLE, inheritable: true });
    hookRegistered = true;
  }
  active ??= new TracewrightCallbackHandler(options);
  setContextVariable(CONTEXT_VARIABLE, active);
  return active;
}
