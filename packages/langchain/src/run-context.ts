/**
 * Run contexts: which LangChain run the current async context belongs to, so that a span's parent
 * comes from async context alone. LangChain's own context names the runnable being run (a lambda,
 * a graph node, a tool); model and retriever invocations, and the calls LangChain queues, are
 * given a context of their own here.
 */
// Initializes LangChain's AsyncLocalStorage, which carries runnable configs (and so the run
// context the resolver reads) from a runnable into the code it runs.
import "@langchain/core/context";
import { AsyncLocalStorage } from "node:async_hooks";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { LiveSpan } from "@tracewright/core";
import { registerActiveSpanResolver } from "@tracewright/core/instrumentation";
import type { AnyMethod, RunOwner, Wrap } from "./types.js";

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

/**
 * `_generateUncached(messages, parsedOptions, handledOptions, startedRunManagers)` runs in a new
 * model invocation, except when `_generateCached` already started its runs in one.
 */
function wrapGenerate(kind: RunCall["kind"], wrap: Wrap) {
  return (original: AnyMethod): AnyMethod =>
    function generateInRunCall(this: object, ...args: unknown[]) {
      const current = frames.getStore()?.call;
      if (current?.model === this && Array.isArray(args[3])) return original.apply(this, args);
      // several chat prompts: one `_generate` per prompt, concurrently, each to tell apart
      if (kind === "chat" && Array.isArray(args[0]) && args[0].length > 1) patchOwnGenerate(this, wrap);
      return runInCall(new RunCall(this, kind), () => original.apply(this, args));
    };
}

/**
 * `_generate(messages, options, runManager)` of a chat model class: when the invocation has
 * several runs, the call for one prompt runs in a context naming only that prompt's run (the
 * `runManager` LangChain hands it).
 */
function generateOnePrompt(original: AnyMethod): AnyMethod {
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
function patchOwnGenerate(model: object, wrap: Wrap): void {
  let proto: object | null = Object.getPrototypeOf(model);
  while (proto && !Object.hasOwn(proto, "_generate")) proto = Object.getPrototypeOf(proto);
  if (proto) wrap(proto, "_generate", generateOnePrompt);
}

/** `_streamIterator`: every step of the model's stream runs in the invocation's context. */
function wrapStreamIterator(kind: RunCall["kind"]) {
  return (original: AnyMethod): AnyMethod =>
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
function wrapRetrieverInvoke(original: AnyMethod): AnyMethod {
  return function invokeInRunCall(this: object, ...args: unknown[]) {
    return runInCall(new RunCall(this, "retriever"), () => original.apply(this, args));
  };
}

/**
 * Runs every invocation of a chat model (`kind: "chat"`) or completion LLM (`"completion"`) of
 * this base class in a context of its own (see {@link RunCall}). False when it does not look like
 * LangChain's `BaseChatModel` / `BaseLLM`.
 */
export function hookModelInvocations(base: object | undefined, kind: "chat" | "completion", wrap: Wrap): boolean {
  if (typeof (base as { _generateUncached?: unknown } | undefined)?._generateUncached !== "function") return false;
  const b = base as object;
  wrap(b, "_generateUncached", wrapGenerate(kind, wrap));
  wrap(b, "_generateCached", wrapGenerate(kind, wrap));
  wrap(b, "_streamIterator", wrapStreamIterator(kind));
  return true;
}

/** Runs every retriever invocation in a context of its own. False when it does not look like `BaseRetriever`. */
export function hookRetrieverInvocations(base: object | undefined, wrap: Wrap): boolean {
  return base !== undefined && wrap(base, "invoke", wrapRetrieverInvoke);
}

/**
 * The callable passed at `index` runs in the async context of the code that queued it.
 * LangChain's AsyncCaller runs calls through a p-queue: with a concurrency limit (OpenAIEmbeddings
 * uses 2) a queued call starts when another one finishes, in *that* call's async context, so an
 * SDK call of one request would run in another request's context (and land in its trace).
 */
function bindCallableAt(index: number) {
  return (original: AnyMethod): AnyMethod =>
    function callInCallerContext(this: unknown, ...args: unknown[]) {
      if (typeof args[index] === "function") args[index] = AsyncLocalStorage.bind(args[index] as AnyMethod);
      return original.apply(this, args);
    };
}

/** Queued calls of LangChain's AsyncCaller (model and embedding requests) keep their caller's context. */
export function hookQueuedCalls(asyncCaller: object | undefined, wrap: Wrap): boolean {
  if (asyncCaller === undefined || !wrap(asyncCaller, "call", bindCallableAt(0))) return false;
  wrap(asyncCaller, "callWithOptions", bindCallableAt(1));
  return true;
}

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

let resolverRegistered = false;

/**
 * Registers {@link langchainSpanOfContext} as core's resolver of the active span, once per copy of
 * this package. It stays registered: it keeps nothing and answers null when no run is in flight.
 */
export function registerRunContextResolver(): void {
  if (resolverRegistered) return;
  resolverRegistered = true;
  registerActiveSpanResolver(langchainSpanOfContext);
}
