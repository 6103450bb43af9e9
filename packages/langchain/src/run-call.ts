import { AsyncLocalStorage } from "node:async_hooks";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { LiveSpan } from "@tracewright/core";
import type { LangChainCopy } from "./langchain-copies.js";

/** Who holds the span of a LangChain run (a callback handler). */
export interface RunOwner {
  spanOfRun(runId: string): LiveSpan | null;
}

/**
 * One invocation of a chat model, LLM or retriever. LangChain does not put these runs in its
 * async context: inside a model's `_generate` / `_streamResponseChunks` (or a retriever's
 * `_getRelevantDocuments`) its context still names the enclosing runnable, or nothing in a plain
 * `prompt.pipe(model)` sequence. So Tracewright runs each such invocation in a context of its
 * own, and the handler notes there which run it started for it: the SDK calls made inside
 * (chat completions, embeddings) nest under that run.
 */
export class RunCall {
  /** The runs started for this invocation, in order (several for `generate([a, b])`). */
  readonly runs: Array<{ owner: RunOwner; runId: string }> = [];

  constructor(
    /** The model (or retriever) this invocation belongs to. */
    readonly model: object,
    /**
     * Chat models run one `_generate` per prompt; LLMs one `_generate` for all prompts (under the
     * first run); a retriever invocation has one run.
     */
    readonly kind: "chat" | "completion" | "retriever",
  ) {}

  /**
   * The span the model's SDK call belongs under: the run's, when the invocation has a single run
   * (or, for an LLM, its first run, which LangChain hands the one `_generate` call). Several chat
   * runs run their `_generate` calls concurrently in one context: no span can be told apart then.
   */
  ownerSpan(): LiveSpan | null {
    const ids = new Set(this.runs.map((r) => r.runId));
    if (ids.size === 0 || (ids.size > 1 && this.kind === "chat")) return null;
    const first = this.runs[0]!;
    return first.owner.spanOfRun(first.runId);
  }
}

/** The model invocation code runs in, with the LangChain store that was current when it was entered. */
interface RunCallFrame {
  call: RunCall;
  langchainStore: unknown;
}

const frames = new AsyncLocalStorage<RunCallFrame>();

function langchainStore(): unknown {
  return AsyncLocalStorageProviderSingleton.getInstance().getStore();
}

function runInCall<T>(call: RunCall, fn: () => T): T {
  return frames.run({ call, langchainStore: langchainStore() }, fn);
}

/**
 * The model invocation the current code runs in, unless LangChain entered a run of its own since
 * (a runnable called from inside the model): then that run is the innermost one.
 */
export function currentRunCall(): RunCall | undefined {
  const frame = frames.getStore();
  if (!frame || frame.langchainStore !== langchainStore()) return undefined;
  return frame.call;
}

/**
 * The model invocation a handler's start callback belongs to. LangChain runs callbacks with its
 * own store cleared, so the LangChain-store check of {@link currentRunCall} does not apply: the
 * callback is called by the invocation itself.
 */
export function runCallStartingRun(): RunCall | undefined {
  return frames.getStore()?.call;
}

const PATCHED = Symbol.for("tracewright.langchain.run-call");

type AnyFunction = (this: object, ...args: unknown[]) => unknown;

function patchMethod(target: object, name: string, wrap: (original: AnyFunction) => AnyFunction): void {
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== "function" || (original as { [PATCHED]?: true })[PATCHED]) return;
  const wrapped = wrap(original as AnyFunction);
  Object.defineProperty(wrapped, PATCHED, { value: true });
  Object.defineProperty(target, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
}

/**
 * `_generateUncached(messages, parsedOptions, handledOptions, startedRunManagers)` runs in a new
 * model invocation, except when `_generateCached` already started its runs in one.
 */
function wrapGenerate(kind: RunCall["kind"]) {
  return (original: AnyFunction): AnyFunction =>
    function generateInRunCall(this: object, ...args: unknown[]) {
      const current = frames.getStore()?.call;
      if (current?.model === this && Array.isArray(args[3])) return original.apply(this, args);
      // several chat prompts: one `_generate` per prompt, concurrently, each to tell apart
      if (kind === "chat" && Array.isArray(args[0]) && args[0].length > 1) patchOwnGenerate(this);
      return runInCall(new RunCall(this, kind), () => original.apply(this, args));
    };
}

/**
 * `_generate(messages, options, runManager)` of a chat model class: when the invocation has
 * several runs, the call for one prompt runs in a context naming only that prompt's run (the
 * `runManager` LangChain hands it).
 */
function generateOnePrompt(original: AnyFunction): AnyFunction {
  return function generateInPromptRun(this: object, ...args: unknown[]) {
    const call = frames.getStore()?.call;
    const runId = (args[2] as { runId?: unknown } | undefined)?.runId;
    if (!call || call.model !== this || call.runs.length < 2 || typeof runId !== "string") {
      return original.apply(this, args);
    }
    const prompt = new RunCall(this, call.kind);
    prompt.runs.push(...call.runs.filter((r) => r.runId === runId));
    return runInCall(prompt, () => original.apply(this, args));
  };
}

/** Wraps `_generate` where the model's class defines it (once per class). */
function patchOwnGenerate(model: object): void {
  let proto: object | null = Object.getPrototypeOf(model);
  while (proto && !Object.hasOwn(proto, "_generate")) proto = Object.getPrototypeOf(proto);
  if (proto) patchMethod(proto, "_generate", generateOnePrompt);
}

/** `_streamIterator`: every step of the model's stream runs in the invocation's context. */
function wrapStreamIterator(kind: RunCall["kind"]) {
  return (original: AnyFunction): AnyFunction =>
    function streamInRunCall(this: object, ...args: unknown[]) {
      const call = new RunCall(this, kind);
      const inner = runInCall(call, () => original.apply(this, args)) as AsyncIterator<unknown>;
      const stepped: AsyncIterator<unknown> & AsyncIterable<unknown> = {
        next: (...nextArgs: [] | [unknown]) => runInCall(call, () => inner.next(...nextArgs)),
        return: (value?: unknown) =>
          runInCall(call, () => (inner.return ? inner.return(value) : Promise.resolve({ done: true, value }))),
        throw: (error?: unknown) => runInCall(call, () => (inner.throw ? inner.throw(error) : Promise.reject(error))),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return stepped;
    };
}

/** `invoke` of a retriever: starts its run and fetches the documents inside. */
function wrapRetrieverInvoke(original: AnyFunction): AnyFunction {
  return function invokeInRunCall(this: object, ...args: unknown[]) {
    return runInCall(new RunCall(this, "retriever"), () => original.apply(this, args));
  };
}

/**
 * Runs every chat model, LLM and retriever invocation of these LangChain copies in a context of
 * its own (see {@link RunCall}).
 */
export function installRunCallContexts(copies: LangChainCopy[]): void {
  for (const copy of copies) {
    patchMethod(copy.BaseRetriever.prototype, "invoke", wrapRetrieverInvoke);
    for (const [base, kind] of [
      [copy.BaseChatModel.prototype, "chat"],
      [copy.BaseLLM.prototype, "completion"],
    ] as const) {
      patchMethod(base, "_generateUncached", wrapGenerate(kind));
      patchMethod(base, "_generateCached", wrapGenerate(kind));
      patchMethod(base, "_streamIterator", wrapStreamIterator(kind));
    }
  }
}
