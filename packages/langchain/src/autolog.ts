import { type AutologStatus, defineIntegration } from "@tracewright/core/instrumentation";
import { TracewrightCallbackHandler } from "./handler.js";
import {
  hookModule,
  loadAppCommonJsCopy,
  MODULES,
  ownModules,
  patches,
  rehookForHandlersMadeByHand,
} from "./modules.js";
import { registerRunContextResolver } from "./run-context.js";
import { type LangChainAutologOptions, type LangChainSettings, langchainSettings } from "./types.js";

let handler: TracewrightCallbackHandler | undefined;
/** The handler autolog adds to every invocation; its settings are the integration's, read at each run. */
const autologHandler = (): TracewrightCallbackHandler => {
  handler ??= new TracewrightCallbackHandler({}, langchain);
  return handler;
};

/** The LangChain integration: `@langchain/core` 1.x is tested (CommonJS and ESM, LangGraph, streams). */
export const langchain = defineIntegration<LangChainAutologOptions, LangChainSettings>({
  name: "langchain",
  modules: MODULES,
  settings: langchainSettings,
  patch: (mod, { module }) => hookModule(module, mod, { restore: true, handler: autologHandler }),
  unpatch: () => patches.restoreAll(),
  // runs after every wrapped method is restored: the hooks of handlers made by hand outlive autolog
  disable: rehookForHandlersMadeByHand,
  enable() {
    // This build's own copy now, so that an invocation right after a not-awaited autolog() is
    // traced; the app's CommonJS copy loaded, so that the kit finds it (and checks its version).
    for (const [module, mod] of ownModules()) langchain.patchModule(mod, module);
    loadAppCommonJsCopy();
    registerRunContextResolver();
  },
});

/**
 * Adds the Tracewright handler to every LangChain invocation in the process, without touching
 * user code. It works wherever it is called (at startup, behind an `await` in an init function,
 * after a server started): every invocation made afterwards, from any async context, is traced.
 * The handler is in place when `autolog()` returns; the promise resolves once every loaded copy
 * of `@langchain/core` is hooked. Idempotent (the latest options win); `autolog({ disable: true })`
 * restores every LangChain method it wrapped. A copy outside the tested versions is traced, with
 * a warning.
 *
 * Calls that LangChain makes through other instrumented SDKs (the openai package with
 * `@tracewright/openai` autolog) nest under the LangChain span that made them.
 *
 * @example
 * ```ts
 * import * as langchain from "@tracewright/langchain";
 * await langchain.autolog({ recordContent: false });
 * await chain.invoke({ question: "..." }); // one trace per top-level invocation
 * ```
 */
export function autolog(options?: LangChainAutologOptions): Promise<AutologStatus> {
  return langchain.autolog(options);
}
