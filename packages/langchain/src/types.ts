import type { LiveSpan } from "@tracewright/core";
import type { AutologOptions } from "@tracewright/core/instrumentation";

/** LangChain's own options, for {@link autolog} and for a handler made by hand. */
export interface LangChainOptions {
  /**
   * Record each streamed token as a `new_token` span event (default true). Token events carry raw
   * text that redactors do not see: with `redact` or `recordContent: false` they are left out.
   */
  recordTokenEvents?: boolean;
  /**
   * Do not record the SDK call a chat model or LLM makes (e.g. the openai span that
   * `@tracewright/openai` would nest under the LangChain span): the LangChain span alone
   * represents the call (default false).
   */
  suppressNestedSdkSpans?: boolean;
}

/**
 * Options of `autolog()`: the kit's common options (`disable`, `silent`, `redact`,
 * `recordContent`, `logTraces`, the same meaning in every Tracewright integration) and LangChain's own.
 */
export interface LangChainAutologOptions extends AutologOptions, LangChainOptions {}

/**
 * Options of a `TracewrightCallbackHandler` made by hand: its spans follow these, whether
 * `autolog()` is on or not (`redact`, `recordContent` and `logTraces` mean what they mean for autolog).
 */
export interface TracewrightCallbackHandlerOptions
  extends Pick<AutologOptions, "redact" | "recordContent" | "logTraces">,
    LangChainOptions {}

/** LangChain's own settings in force. */
export interface LangChainSettings {
  recordTokenEvents: boolean;
  suppressNestedSdkSpans: boolean;
}

/** LangChain's own settings of some options, with their defaults. */
export function langchainSettings(options: LangChainOptions): LangChainSettings {
  return {
    recordTokenEvents: options.recordTokenEvents ?? true,
    suppressNestedSdkSpans: options.suppressNestedSdkSpans ?? false,
  };
}

/** Who holds the span of a LangChain run (a callback handler). */
export interface RunOwner {
  spanOfRun(runId: string): LiveSpan | null;
}

/** Who can end a run (and its open descendants) that LangChain will never end. */
export interface AbandonableRunOwner {
  abandonRun(runId: string, reason: string): void;
}

// biome-ignore lint/suspicious/noExplicitAny: wrappers forward whatever LangChain's methods take
export type AnyMethod = (this: any, ...args: any[]) => any;

/** Wraps `target[name]` (the kit's `MethodPatches.wrap` with this integration's options); false when it is not a function. */
export type Wrap = (target: object, name: string, wrapper: (original: AnyMethod) => AnyMethod) => boolean;
