import type { ActiveSettings, AutologOptions, Integration } from "@tracewright/core/instrumentation";

/**
 * Options of {@link autolog} and {@link traced}: the kit's common options (`disable`, `silent`,
 * `redact`, `recordContent`, `logTraces`, with one meaning in every Tracewright integration) and
 * this integration's own.
 */
export interface GoogleGenAIAutologOptions extends AutologOptions {
  /** Record embedding vectors in EMBEDDING span outputs (default false: counts and dimensions only). */
  recordEmbeddingVectors?: boolean;
}

/** This integration's own settings, resolved from {@link GoogleGenAIAutologOptions}. */
export interface GoogleGenAISettings {
  recordEmbeddingVectors: boolean;
}

/** The settings and spans a patched method uses: autolog's integration, or one traced client's own. */
export type Tracing = Pick<Integration<GoogleGenAIAutologOptions, GoogleGenAISettings>, "active" | "instrumentCall">;

/** The settings in force for one call. */
export type CallSettings = ActiveSettings<GoogleGenAISettings>;

/** The traced methods, with MLflow's span names (`Class.method`, as mlflow.gemini names them) and types. */
export interface Endpoint {
  kind: "generate" | "generateStream" | "embed" | "chat" | "chatStream";
  /** The method's name on its class. */
  method: string;
  spanName: string;
  spanType: string;
  /** The method hands back a promise of an async generator of chunks. */
  streams: boolean;
}

// Shapes of @google/genai relied on (checked at runtime, never imported).

/** `Models` methods, assigned per instance in its constructor (not on the prototype). */
export type ModelsMethod = (this: unknown, params?: unknown) => Promise<unknown>;

/** What `require("@google/genai")` or `import * as ns from "@google/genai"` yields. */
export interface GoogleGenAIModule {
  Models?: { prototype: object };
  Chat?: { prototype: { sendMessage?: unknown; sendMessageStream?: unknown } };
  default?: GoogleGenAIModule;
}

/** A `Chat` session: its model, config and API client are public properties. */
export interface ChatLike {
  model?: unknown;
  config?: unknown;
  apiClient?: unknown;
}

/** A `GoogleGenAI` client instance (for `traced(client)`). */
export interface GoogleGenAIClientLike {
  models?: Record<string, unknown>;
  chats?: { create?: (this: unknown, params: unknown) => unknown };
}
