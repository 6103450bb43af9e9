import {
  type AutologStatus,
  defineIntegration,
  type Integration,
  withFixedSettings,
} from "@tracewright/core/instrumentation";
import { patchClient, patchGoogleGenAIModule, restoreAll } from "./patch.js";
import type { GoogleGenAIAutologOptions, GoogleGenAIClientLike, GoogleGenAISettings } from "./types.js";

const settingsOf = (options: GoogleGenAIAutologOptions): GoogleGenAISettings => ({
  recordEmbeddingVectors: options.recordEmbeddingVectors ?? false,
});

/** The @google/genai integration: @google/genai 3.3 is tested (CommonJS and ESM, streams, chats). */
export const integration: Integration<GoogleGenAIAutologOptions, GoogleGenAISettings> = defineIntegration({
  name: "google-genai",
  modules: [{ name: "@google/genai", versions: ">=3.3.0 <4.0.0" }],
  settings: settingsOf,
  patch: (mod): boolean => patchGoogleGenAIModule(mod, integration),
  unpatch: restoreAll,
});

/**
 * Traces every call the app makes through `@google/genai`: `models.generateContent`,
 * `generateContentStream` (CHAT_MODEL), `embedContent` (EMBEDDING) and chats' `sendMessage` /
 * `sendMessageStream` (one CHAT_MODEL span each, owning the model call the chat makes), with no
 * other code change. Idempotent (the latest options win); `autolog({ disable: true })` restores
 * the original methods. A copy outside the tested versions is traced, with a warning.
 *
 * `Models` methods are per-instance properties in @google/genai, so autolog traces the
 * `GoogleGenAI` clients created after it is on (chats of any client are traced); trace an
 * earlier client with {@link traced}, or start Node with `--import @tracewright/google-genai/register`.
 *
 * @example
 * ```ts
 * import * as genai from "@tracewright/google-genai";
 * await genai.autolog({ redact: (value) => scrub(value) });
 * const ai = new GoogleGenAI({});
 * ```
 */
export function autolog(options?: GoogleGenAIAutologOptions): Promise<AutologStatus> {
  return integration.autolog(options);
}

/**
 * Patches one loaded copy of @google/genai explicitly: for bundles and monorepos that hold a copy
 * module hooks cannot see. Honours the options of the last {@link autolog} call. False when the
 * module does not look like @google/genai.
 *
 * @example
 * ```ts
 * import * as genaiModule from "@google/genai";
 * instrumentGoogleGenAIModule(genaiModule);
 * ```
 */
export function instrumentGoogleGenAIModule(genaiModule: unknown): boolean {
  return integration.patchModule(genaiModule);
}

/**
 * Traces one client instance explicitly, with options of its own: a client created before
 * {@link autolog}, or where module hooks cannot work (bundlers, edge runtimes). Returns the same
 * client. A client that is both autologged and traced yields one span per call (this client's options).
 *
 * @example
 * ```ts
 * const ai = traced(new GoogleGenAI({}), { recordContent: false });
 * ```
 */
export function traced<T extends object>(client: T, options: GoogleGenAIAutologOptions = {}): T {
  try {
    patchClient(client as GoogleGenAIClientLike, withFixedSettings(options, settingsOf(options)));
  } catch (e) {
    integration.log.warn("could not trace this client", e);
  }
  return client;
}
