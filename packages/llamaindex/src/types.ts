/** Options of {@link autolog}. */
export interface LlamaIndexAutologOptions {
  /** Undo autolog: restore the original LlamaIndex methods. */
  disable?: boolean;
  /** Record traces (default true). `false` keeps the patches but records nothing. */
  logTraces?: boolean;
  /** Suppress this plugin's own warnings (default false). */
  silent?: boolean;
  /** Record embedding vectors in EMBEDDING span outputs (default false: counts and dimensions only). */
  recordEmbeddingVectors?: boolean;
  /**
   * Drop the spans an SDK instrumentation (such as `@tracewright/openai`) opens inside a
   * LlamaIndex LLM or embedding span, so each model call appears once (default false: the SDK
   * span nests under the LlamaIndex span).
   */
  suppressNestedSdkSpans?: boolean;
}
