import {
  type AutologStatus,
  defineIntegration,
  type Integration,
  withFixedSettings,
} from "@tracewright/core/instrumentation";
import { patchClient, patches, patchOpenAIModule } from "./patch.js";
import type { OpenAIAutologOptions, OpenAIClientLike, OpenAISettings } from "./types.js";

const settingsOf = (options: OpenAIAutologOptions): OpenAISettings => ({
  recordEmbeddingVectors: options.recordEmbeddingVectors ?? false,
});

/** The openai integration: openai 5, 6 and 7 are tested (CommonJS and ESM, streams, nested copies). */
export const integration: Integration<OpenAIAutologOptions, OpenAISettings> = defineIntegration({
  name: "openai",
  modules: [{ name: "openai", versions: ">=5.0.0 <8.0.0" }],
  settings: settingsOf,
  patch: (mod): boolean => patchOpenAIModule(mod, integration),
  unpatch: () => patches.restoreAll(),
});

/**
 * Traces every call the app makes through the official `openai` package: chat completions
 * (CHAT_MODEL), legacy completions (LLM), embeddings (EMBEDDING) and responses (CHAT_MODEL),
 * streaming included, with no other code change. Works whether openai was loaded before or
 * after this call. Idempotent (the latest options win); `autolog({ disable: true })` restores
 * the original methods. A copy of openai outside the tested versions is traced, with a warning.
 *
 * The returned promise resolves once an already imported ESM copy of openai is patched too;
 * `await` it when your first call may follow immediately, or start Node with
 * `--import @tracewright/openai/register`.
 *
 * @example
 * ```ts
 * import * as openai from "@tracewright/openai";
 * await openai.autolog({ redact: (value) => scrub(value) });
 * ```
 */
export function autolog(options?: OpenAIAutologOptions): Promise<AutologStatus> {
  return integration.autolog(options);
}

/**
 * Patches one loaded copy of the openai package explicitly: for monorepos and bundles that hold
 * several copies, or a copy that module hooks cannot see. Honours the options of the last
 * {@link autolog} call (nothing is recorded until autolog is on). Returns the number of methods
 * newly patched.
 *
 * @example
 * ```ts
 * import * as openaiModule from "openai";
 * instrumentOpenAIModule(openaiModule);
 * ```
 */
export function instrumentOpenAIModule(openaiModule: unknown): number {
  const before = patches.size;
  integration.patchModule(openaiModule);
  return patches.size - before;
}

/**
 * Traces one client instance explicitly, with options of its own, for bundlers and edge runtimes
 * where module hooks cannot work. Returns the same client. Independent of {@link autolog}: a
 * client that is both autologged and traced yields one span per call (this client's options).
 */
export function traced<T extends object>(client: T, options: OpenAIAutologOptions = {}): T {
  try {
    patchClient(client as OpenAIClientLike, withFixedSettings(options, settingsOf(options)));
  } catch (e) {
    integration.log.warn("could not trace this client", e);
  }
  return client;
}
