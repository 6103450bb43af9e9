import {
  type AutologStatus,
  defineIntegration,
  type Integration,
  type ModuleTarget,
} from "@tracewright/core/instrumentation";
import { instrumentModule, patchedMethodCount, unpatchAll } from "./patch.js";
import type { LlamaIndexAutologOptions, LlamaIndexSettings } from "./types.js";

/** The versions tested: llamaindex 0.12 with @llamaindex/core 0.6, @llamaindex/workflow 1.1, @llamaindex/openai 0.4. */
const TESTED: ModuleTarget[] = [
  { name: "llamaindex", versions: ">=0.12.0 <0.13.0" },
  { name: "llamaindex/tools", versions: ">=0.12.0 <0.13.0" },
  { name: "llamaindex/postprocessors", versions: ">=0.12.0 <0.13.0" },
  ...["llms", "embeddings", "retriever", "query-engine", "chat-engine", "response-synthesizers", "agent", "tools"].map(
    (subpath) => ({ name: `@llamaindex/core/${subpath}`, versions: ">=0.6.0 <0.7.0" }),
  ),
  { name: "@llamaindex/workflow", versions: ">=1.1.0 <2.0.0" },
  { name: "@llamaindex/openai", versions: ">=0.4.0 <0.5.0" },
];

/**
 * LLM providers whose classes follow the same `BaseLLM` contract but are not in the test suite:
 * traced all the same, with a warning (once) that their version is untested.
 */
const UNTESTED_PROVIDERS: ModuleTarget[] = [
  "anthropic",
  "ollama",
  "groq",
  "google",
  "mistral",
  "deepseek",
  "cohere",
  "huggingface",
].map((provider) => ({ name: `@llamaindex/${provider}`, versions: "<0.0.0-0" }));

/** The LlamaIndex.TS integration. */
export const integration: Integration<LlamaIndexAutologOptions, LlamaIndexSettings> = defineIntegration({
  name: "llamaindex",
  modules: [...TESTED, ...UNTESTED_PROVIDERS],
  settings: (options) => ({
    recordEmbeddingVectors: options.recordEmbeddingVectors ?? false,
    suppressNestedSdkSpans: options.suppressNestedSdkSpans ?? false,
  }),
  patch: (mod): boolean => {
    instrumentModule(mod, integration);
    return true; // a module with no traced class (a subpath of helpers) is not a surprise
  },
  unpatch: unpatchAll,
});

/**
 * Traces LlamaIndex.TS applications: query engines and chat engines (CHAIN), retrievers
 * (RETRIEVER, with the retrieved nodes as documents), LLM chat (CHAT_MODEL) and completion (LLM)
 * with messages, tools and token usage, embeddings (EMBEDDING), node postprocessors (RERANKER),
 * tools (TOOL) and agents (AGENT), streaming included. For `llamaindex` 0.12 with
 * `@llamaindex/core` 0.6, `@llamaindex/workflow` 1.x and the `@llamaindex/*` LLM providers; a
 * copy outside the tested versions is traced, with a warning.
 *
 * Await it before the first LlamaIndex call: it imports the LlamaIndex modules installed next to
 * the app to patch their classes. Idempotent (the latest options win); `autolog({ disable: true })`
 * restores the original methods.
 *
 * @example
 * ```ts
 * import * as llamaindex from "@tracewright/llamaindex";
 * await llamaindex.autolog({ recordContent: false });
 * ```
 */
export function autolog(options?: LlamaIndexAutologOptions): Promise<AutologStatus> {
  return integration.autolog(options);
}

/**
 * Patches the traced classes one module exports, for copies that autolog cannot find (bundles,
 * other directories) and for your own LLM, embedding, retriever or tool subclasses. Honours the
 * options of the last {@link autolog} call (nothing is recorded until autolog is on). Returns the
 * number of methods newly patched.
 *
 * @example
 * ```ts
 * instrumentLlamaIndexModule({ MyRetriever });
 * ```
 */
export function instrumentLlamaIndexModule(mod: unknown): number {
  const before = patchedMethodCount();
  integration.patchModule(mod, "llamaindex");
  return patchedMethodCount() - before;
}
