/**
 * The `@langchain/core` entry points Tracewright hooks, and what it does to each: the kit finds
 * every loaded copy of them and hands each module to {@link hookModule}.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import * as manager from "@langchain/core/callbacks/manager";
import * as chatModels from "@langchain/core/language_models/chat_models";
import * as llms from "@langchain/core/language_models/llms";
import * as retrievers from "@langchain/core/retrievers";
import * as runnables from "@langchain/core/runnables";
import * as asyncCaller from "@langchain/core/utils/async_caller";
import * as stream from "@langchain/core/utils/stream";
import { appDirs, type ModuleTarget, methodPatches, runSafely } from "@tracewright/core/instrumentation";
import {
  hookModelInvocations,
  hookQueuedCalls,
  hookRetrieverInvocations,
  registerRunContextResolver,
} from "./run-context.js";
import { hookStreamStops, hookStreams } from "./stream-abandonment.js";
import type { AnyMethod, Wrap } from "./types.js";

/** The LangChain methods Tracewright wrapped, shared by every copy of this package in the process. */
export const patches = methodPatches("langchain");

/** The `@langchain/core` versions tested (the peer dependency range). */
const TESTED = ">=1.0.0 <2.0.0";

type Exports = Record<string, { prototype?: object } | undefined>;
/** What to hook in one module; false when it does not look as expected. */
type Hook = (mod: Exports, wrap: Wrap, handler?: () => BaseCallbackHandler) => boolean;

const HOOKS: Record<string, Hook> = {
  // the handler every invocation gets while autolog is on
  "@langchain/core/callbacks/manager": (m, wrap, handler) =>
    handler ? addHandlerToEveryInvocation(m.CallbackManager, wrap, handler) : typeof m.CallbackManager === "function",
  "@langchain/core/language_models/chat_models": (m, wrap) =>
    hookModelInvocations(m.BaseChatModel?.prototype, "chat", wrap),
  "@langchain/core/language_models/llms": (m, wrap) => hookModelInvocations(m.BaseLLM?.prototype, "completion", wrap),
  "@langchain/core/retrievers": (m, wrap) => hookRetrieverInvocations(m.BaseRetriever?.prototype, wrap),
  "@langchain/core/runnables": (m, wrap) => hookStreams([m.Runnable?.prototype, m.RunnableMap?.prototype], wrap),
  "@langchain/core/utils/stream": (m, wrap) => hookStreamStops(m.IterableReadableStream?.prototype, wrap),
  "@langchain/core/utils/async_caller": (m, wrap) => hookQueuedCalls(m.AsyncCaller?.prototype, wrap),
};

/** The copy this build of the package imports (ESM or CommonJS), module by module. */
const OWN: Record<string, unknown> = {
  "@langchain/core/callbacks/manager": manager,
  "@langchain/core/language_models/chat_models": chatModels,
  "@langchain/core/language_models/llms": llms,
  "@langchain/core/retrievers": retrievers,
  "@langchain/core/runnables": runnables,
  "@langchain/core/utils/stream": stream,
  "@langchain/core/utils/async_caller": asyncCaller,
};

/**
 * The modules for `defineIntegration`. Every copy of `@langchain/core` loads its callback manager,
 * so the tested range is checked there: a copy outside it warns once, not once per entry point.
 */
export const MODULES: ModuleTarget[] = Object.keys(HOOKS).map((name) => ({
  name,
  versions: name === "@langchain/core/callbacks/manager" ? TESTED : "*",
}));

/**
 * Hooks one module of one `@langchain/core` copy. `restore: false` for a handler made by hand (its
 * hooks outlive `autolog({ disable: true })`); `handler` while autolog is on.
 */
export function hookModule(
  module: string,
  mod: unknown,
  options: { restore: boolean; handler?: () => BaseCallbackHandler },
): boolean {
  const hook = HOOKS[module];
  if (!hook || mod === null || typeof mod !== "object") return false;
  const wrap: Wrap = (target, name, wrapper) => patches.wrap(target, name, wrapper, { restore: options.restore });
  return hook(mod as Exports, wrap, options.handler);
}

/** This build's own copy of the hooked modules. */
export function ownModules(): Array<[string, unknown]> {
  return Object.entries(OWN);
}

/**
 * Loads the CommonJS copy of `@langchain/core` the app resolves, so that the kit finds it in
 * require's cache: an ESM app whose CommonJS dependencies use LangChain runs both copies, and the
 * CommonJS one loads its callback manager through relative requires that no module hook sees.
 */
export function loadAppCommonJsCopy(): Array<[string, unknown]> {
  const loaded: Array<[string, unknown]> = [];
  for (const dir of appDirs()) {
    const load = createRequire(join(dir, "noop.js"));
    for (const module of Object.keys(HOOKS)) {
      try {
        const mod: unknown = load(module);
        if (mod !== OWN[module]) loaded.push([module, mod]);
      } catch {
        // no CommonJS copy resolvable from there
      }
    }
  }
  return loaded;
}

let appCommonJsCopy: Array<[string, unknown]> | undefined;
let madeByHand = false;

/**
 * What a handler made by hand needs, without autolog: model, retriever and queued calls run in
 * their run's context and stopped streams end their runs, in this build's copy of LangChain and
 * the CommonJS copy the app resolves. These hooks outlive `autolog({ disable: true })`.
 */
export function hookForHandlersMadeByHand(): void {
  madeByHand = true;
  appCommonJsCopy ??= loadAppCommonJsCopy();
  for (const [module, mod] of [...ownModules(), ...appCommonJsCopy]) {
    if (module !== "@langchain/core/callbacks/manager") hookModule(module, mod, { restore: false });
  }
  registerRunContextResolver();
}

/** After `autolog({ disable: true })` restored LangChain's methods: handlers made by hand get their hooks back. */
export function rehookForHandlersMadeByHand(): void {
  if (madeByHand) hookForHandlersMadeByHand();
}

type Configure = (this: unknown, ...args: unknown[]) => unknown;
interface ManagerLike {
  handlers: Array<{ name: string }>;
  addHandler(handler: BaseCallbackHandler, inherit?: boolean): void;
}

/**
 * Adds the handler to every LangChain invocation in the process. LangChain's own configure hooks
 * (`registerConfigureHook` / `setContextVariable`) live in its async context: an invocation sees
 * them only if it runs in a context created after they were set, so an `autolog()` behind an
 * `await`, or after a server started, would reach nothing. `CallbackManager._configureSync` builds
 * the callbacks of every invocation (and of code run in a runnable's context), wherever it runs;
 * adding the handler there reaches all of them. A handler of the same name already present (passed
 * in `callbacks`, or inherited from the parent run) is not added twice.
 */
function addHandlerToEveryInvocation(
  CallbackManager: unknown,
  wrap: Wrap,
  handler: () => BaseCallbackHandler,
): boolean {
  if (typeof CallbackManager !== "function") return false;
  const Manager = CallbackManager as new () => ManagerLike;
  return wrap(
    Manager,
    "_configureSync",
    (original: AnyMethod): Configure =>
      function configureWithHandler(this: unknown, ...args: unknown[]) {
        const configured = original.apply(this, args) as ManagerLike | undefined;
        let result = configured;
        runSafely("adding the Tracewright handler to a LangChain invocation", () => {
          const current = handler();
          const target = configured ?? new Manager();
          if (!target.handlers.some((h) => h.name === current.name)) target.addHandler(current, true);
          result = target;
        });
        return result;
      },
  );
}
