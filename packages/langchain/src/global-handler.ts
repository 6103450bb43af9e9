import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { runSafely } from "@tracewright/core";
import type { LangChainCopy } from "./langchain-copies.js";

let globalHandler: BaseCallbackHandler | null = null;
const PATCHED = Symbol.for("tracewright.langchain.global-handler");

type Configure = (this: unknown, ...args: unknown[]) => unknown;
interface ManagerLike {
  handlers: Array<{ name: string }>;
  addHandler(handler: BaseCallbackHandler, inherit?: boolean): void;
}

/**
 * Sets the handler every LangChain invocation in the process gets (null: none).
 *
 * LangChain's own configure hooks (`registerConfigureHook` / `setContextVariable`) live in its
 * async context: an invocation sees them only if it runs in a context created after they were
 * set, so an `autolog()` behind an `await`, or after a server started, would reach nothing.
 * `CallbackManager._configureSync` builds the callbacks of every invocation (and of code run in a
 * runnable's context), wherever it runs; adding the handler there reaches all of them. A handler
 * of the same name already present (passed in `callbacks`, or inherited from the parent run) is
 * not added twice.
 */
export function setGlobalHandler(copies: LangChainCopy[], handler: BaseCallbackHandler | null): void {
  globalHandler = handler;
  if (!handler) return;
  for (const { CallbackManager } of copies) {
    const target = CallbackManager as unknown as Record<string, unknown>;
    const original = target._configureSync as Configure & { [PATCHED]?: true };
    if (typeof original !== "function" || original[PATCHED]) continue;
    const configureWithGlobalHandler = function (this: unknown, ...args: unknown[]) {
      const manager = original.apply(this, args) as ManagerLike | undefined;
      const current = globalHandler;
      if (!current) return manager;
      let result = manager;
      runSafely("adding the Tracewright handler to a LangChain invocation", () => {
        const configured = manager ?? (new CallbackManager() as unknown as ManagerLike);
        if (!configured.handlers.some((h) => h.name === current.name)) configured.addHandler(current, true);
        result = configured;
      });
      return result;
    };
    Object.defineProperty(configureWithGlobalHandler, PATCHED, { value: true });
    Object.defineProperty(target, "_configureSync", {
      value: configureWithGlobalHandler,
      writable: true,
      configurable: true,
    });
  }
}
