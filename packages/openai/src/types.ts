import type { ActiveSettings, AutologOptions, Integration } from "@tracewright/core/instrumentation";

/**
 * Options of {@link autolog} and {@link traced}: the kit's common options (`disable`, `silent`,
 * `redact`, `recordContent`, `logTraces`, with one meaning in every Tracewright integration) and
 * openai's own.
 */
export interface OpenAIAutologOptions extends AutologOptions {
  /** Record embedding vectors in EMBEDDING span outputs (default false: counts and dimensions only). */
  recordEmbeddingVectors?: boolean;
}

/** openai's own settings, resolved from {@link OpenAIAutologOptions}. */
export interface OpenAISettings {
  recordEmbeddingVectors: boolean;
}

/** The settings and spans a patched method uses: autolog's integration, or one traced client's own. */
export type Tracing = Pick<Integration<OpenAIAutologOptions, OpenAISettings>, "active" | "instrumentCall">;

/** The settings in force for one call. */
export type CallSettings = ActiveSettings<OpenAISettings>;

/** The openai methods traced, with MLflow's span names and types. */
export interface Endpoint {
  kind: "chat" | "completions" | "embeddings" | "responses";
  /** MLflow names the span after the resource class. */
  spanName: string;
  spanType: string;
}

// Shapes of the openai package relied on (checked at runtime, never imported).

export type CreateMethod = (this: unknown, body?: unknown, options?: unknown) => unknown;

/** A resource class such as `Completions`, `Embeddings`, `Responses`. */
export interface ResourceClass {
  prototype: { create?: CreateMethod };
}

/** The `OpenAI` client class, with its resource classes as static properties. */
export interface OpenAIClass {
  Chat?: { Completions?: ResourceClass };
  Completions?: ResourceClass;
  Embeddings?: ResourceClass;
  Responses?: ResourceClass;
}

/** What `require("openai")` or `import * as ns from "openai"` yields. */
export interface OpenAIModule {
  OpenAI?: OpenAIClass;
  default?: OpenAIClass | { OpenAI?: OpenAIClass };
}

/** An openai client instance (for `traced(client)`). */
export interface OpenAIClientLike {
  chat?: { completions?: { create?: CreateMethod } };
  completions?: { create?: CreateMethod };
  embeddings?: { create?: CreateMethod };
  responses?: { create?: CreateMethod };
}
