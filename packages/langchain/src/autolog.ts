import { createRequire } from "node:module";
import { join } from "node:path";
import * as ownContext from "@langchain/core/context";
import { TracewrightCallbackHandler, type TracewrightCallbackHandlerOptions } from "./handler.js";

/** Options of {@link autolog}. */
export interface LangChainAutologOptions extends TracewrightCallbackHandlerOptions {
  /** Undo autolog: stop adding the handler to new invocations. */
  disable?: boolean;
}

const CONTEXT_VARIABLE = "tracewright_callback_handler";
let active: TracewrightCallbackHandler | null = null;

type ContextModule = Pick<typeof ownContext, "registerConfigureHook" | "setContextVariable">;
const registered = new WeakSet<object>();

/**
 * Every loaded copy of `@langchain/core/context`: its ESM and CommonJS builds are separate copies
 * with separate hook lists, and an app may load both (e.g. ESM code using a CommonJS package).
 */
function contextCopies(): ContextModule[] {
  const copies: ContextModule[] = [ownContext];
  try {
    const fromApp = createRequire(join(process.cwd(), "noop.js"))("@langchain/core/context") as ContextModule;
    if (fromApp.registerConfigureHook !== ownContext.registerConfigureHook) copies.push(fromApp);
  } catch {
    // no CommonJS copy resolvable from the app
  }
  return copies;
}

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
  const copies = contextCopies();
  if (options.disable) {
    active = null;
    for (const copy of copies) copy.setContextVariable(CONTEXT_VARIABLE, undefined);
    return null;
  }
  active ??= new TracewrightCallbackHandler(options);
  for (const copy of copies) {
    if (!registered.has(copy)) {
      copy.registerConfigureHook({ contextVar: CONTEXT_VARIABLE, inheritable: true });
      registered.add(copy);
    }
    copy.setContextVariable(CONTEXT_VARIABLE, active);
  }
  return active;
}
