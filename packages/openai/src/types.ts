/** Which side of a call a redaction applies to. */
export type RedactTarget = "inputs" | "outputs";

/** Options of {@link autolog} and {@link traced}. */
export interface OpenAIAutologOptions {
  /** Undo autolog: restore the original openai methods. */
  disable?: boolean;
  /** Record traces (default true). `false` keeps the patches but records nothing. */
  logTraces?: boolean;
  /** Suppress this plugin's own warnings (default false). */
  silent?: boolean;
  /**
   * Applied to request parameters and responses before they are recorded (inputs, outputs,
   * chat messages). Return the value to record; it must not mutate its argument.
   */
  redact?: (value: unknown, target: RedactTarget) => unknown;
  /** Record embedding vectors in EMBEDDING span outputs (default false: counts and dimensions only). */
  recordEmbeddingVectors?: boolean;
}
