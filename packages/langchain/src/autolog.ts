// Initializes LangChain's AsyncLocalStorage, which carries runnable configs (and so the run
// context the resolver reads) from a runnable into the code it runs.
import "@langchain/core/context";
import { setGlobalHandler } from "./global-handler.js";
import { TracewrightCallbackHandler, type TracewrightCallbackHandlerOptions } from "./handler.js";
import { langchainCopies } from "./langchain-copies.js";

/** Options of {@link autolog}. */
export interface LangChainAutologOptions extends TracewrightCallbackHandlerOptions {
  /** Undo autolog: stop adding the handler to new invocations. */
  disable?: boolean;
}

let active: TracewrightCallbackHandler | null = null;

/**
 * Adds the Tracewright handler to every LangChain invocation in the process, without touching
 * user code. It works wherever it is called (at startup, behind an `await` in an init function,
 * after a server started): every invocation made afterwards, from any async context, is traced.
 * Idempotent (the first call's options stay); `autolog({ disable: true })` undoes it.
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
  const copies = langchainCopies();
  if (options.disable) {
    active = null;
    setGlobalHandler(copies, null);
    return null;
  }
  active ??= new TracewrightCallbackHandler(options);
  setGlobalHandler(copies, active);
  return active;
}
