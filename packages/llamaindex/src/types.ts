import type { ActiveSettings, AutologOptions, Integration } from "@tracewright/core/instrumentation";

/**
 * Options of {@link autolog}: the kit's common options (`disable`, `silent`, `redact`,
 * `recordContent`, `logTraces`, with one meaning in every Tracewright integration) and
 * LlamaIndex's own.
 */
export interface LlamaIndexAutologOptions extends AutologOptions {
  /** Record embedding vectors in EMBEDDING span outputs (default false: counts and dimensions only). */
  recordEmbeddingVectors?: boolean;
  /**
   * Drop the spans an SDK instrumentation (such as `@tracewright/openai`) opens inside a
   * LlamaIndex LLM or embedding span, so each model call appears once (default false: the SDK
   * span nests under the LlamaIndex span).
   */
  suppressNestedSdkSpans?: boolean;
}

/** LlamaIndex's own settings, resolved from {@link LlamaIndexAutologOptions}. */
export interface LlamaIndexSettings {
  recordEmbeddingVectors: boolean;
  suppressNestedSdkSpans: boolean;
}

/** The settings in force for one call. */
export type CallSettings = ActiveSettings<LlamaIndexSettings>;

/** Where a traced method gets its settings and spans: the integration. */
export type Tracing = Pick<Integration<LlamaIndexAutologOptions, LlamaIndexSettings>, "active" | "instrumentCall">;
