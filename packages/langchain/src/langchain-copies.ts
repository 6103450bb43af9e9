import { createRequire } from "node:module";
import { join } from "node:path";
import * as ownManager from "@langchain/core/callbacks/manager";
import * as ownChatModels from "@langchain/core/language_models/chat_models";
import * as ownLlms from "@langchain/core/language_models/llms";
import * as ownRetrievers from "@langchain/core/retrievers";
import * as ownRunnables from "@langchain/core/runnables";
import * as ownAsyncCaller from "@langchain/core/utils/async_caller";
import * as ownStream from "@langchain/core/utils/stream";

/** The classes of one loaded copy of `@langchain/core` that Tracewright hooks into. */
export interface LangChainCopy {
  AsyncCaller: typeof ownAsyncCaller.AsyncCaller;
  CallbackManager: typeof ownManager.CallbackManager;
  BaseChatModel: typeof ownChatModels.BaseChatModel;
  BaseLLM: typeof ownLlms.BaseLLM;
  BaseRetriever: typeof ownRetrievers.BaseRetriever;
  Runnable: typeof ownRunnables.Runnable;
  RunnableMap: typeof ownRunnables.RunnableMap;
  IterableReadableStream: typeof ownStream.IterableReadableStream;
}

let copies: LangChainCopy[] | undefined;

function copyFrom(load: (entry: string) => unknown): LangChainCopy {
  const manager = load("@langchain/core/callbacks/manager") as typeof ownManager;
  const chatModels = load("@langchain/core/language_models/chat_models") as typeof ownChatModels;
  const llms = load("@langchain/core/language_models/llms") as typeof ownLlms;
  const retrievers = load("@langchain/core/retrievers") as typeof ownRetrievers;
  const runnables = load("@langchain/core/runnables") as typeof ownRunnables;
  const stream = load("@langchain/core/utils/stream") as typeof ownStream;
  const asyncCaller = load("@langchain/core/utils/async_caller") as typeof ownAsyncCaller;
  return {
    AsyncCaller: asyncCaller.AsyncCaller,
    CallbackManager: manager.CallbackManager,
    BaseChatModel: chatModels.BaseChatModel,
    BaseLLM: llms.BaseLLM,
    BaseRetriever: retrievers.BaseRetriever,
    Runnable: runnables.Runnable,
    RunnableMap: runnables.RunnableMap,
    IterableReadableStream: stream.IterableReadableStream,
  };
}

/**
 * Every copy of `@langchain/core` the app may run: the one this build imports, and the CommonJS
 * copy the app resolves (an ESM app whose CommonJS dependencies use LangChain runs both, and the
 * two have separate classes).
 */
export function langchainCopies(): LangChainCopy[] {
  if (copies) return copies;
  const own = copyFrom((entry) => {
    const modules: Record<string, unknown> = {
      "@langchain/core/callbacks/manager": ownManager,
      "@langchain/core/language_models/chat_models": ownChatModels,
      "@langchain/core/language_models/llms": ownLlms,
      "@langchain/core/retrievers": ownRetrievers,
      "@langchain/core/runnables": ownRunnables,
      "@langchain/core/utils/stream": ownStream,
      "@langchain/core/utils/async_caller": ownAsyncCaller,
    };
    return modules[entry];
  });
  copies = [own];
  try {
    const fromApp = copyFrom(createRequire(join(process.cwd(), "noop.js")));
    if (fromApp.CallbackManager !== own.CallbackManager) copies.push(fromApp);
  } catch {
    // no CommonJS copy resolvable from the app
  }
  return copies;
}
