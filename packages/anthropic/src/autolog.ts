import { type AutologStatus, defineIntegration, type Integration } from "@tracewright/core/instrumentation";
import { patchAnthropicModule, patches } from "./patch.js";
import type { AnthropicAutologOptions } from "./types.js";

/** The versions of `@anthropic-ai/sdk` this package is tested with (its test suite runs 1.15.0). */
export const TESTED_VERSIONS = ">=1.15.0 <2.0.0";

/** The anthropic integration on the kit: one module, its `Messages` resources patched. */
export const integration: Integration<AnthropicAutologOptions, undefined> = defineIntegration({
  name: "anthropic",
  modules: [{ name: "@anthropic-ai/sdk", versions: TESTED_VERSIONS }],
  patch: (mod): boolean => patchAnthropicModule(mod, integration),
  unpatch: () => patches.restoreAll(),
});

/**
 * Traces every call the app makes through `@anthropic-ai/sdk`: `messages.create` (streamed or
 * not), the `messages.stream()` helper, `beta.messages.create` / `stream()` / `parse()` (extended
 * thinking included) as CHAT_MODEL spans, and `countTokens`, with no other code change. Works
 * whether the SDK was loaded before or after this call. Idempotent (the latest options win);
 * `autolog({ disable: true })` restores the original methods. A copy of the SDK outside the tested
 * versions is traced, with a warning.
 *
 * The returned promise resolves once an already imported ESM copy of the SDK is patched too;
 * `await` it when your first call may follow immediately, or start Node with
 * `--import @tracewright/anthropic/register`.
 *
 * @example
 * ```ts
 * import * as anthropic from "@tracewright/anthropic";
 * await anthropic.autolog({ recordContent: false });
 * ```
 */
export function autolog(options?: AnthropicAutologOptions): Promise<AutologStatus> {
  return integration.autolog(options);
}

/**
 * Patches one loaded copy of the SDK explicitly: for bundles and monorepos holding a copy that
 * module hooks cannot see. Honours the options of the last {@link autolog} call (nothing is
 * recorded until autolog is on). Returns the number of methods newly patched.
 *
 * @example
 * ```ts
 * import * as sdk from "@anthropic-ai/sdk";
 * instrumentAnthropicModule(sdk);
 * ```
 */
export function instrumentAnthropicModule(anthropicModule: unknown): number {
  const before = patches.size;
  integration.patchModule(anthropicModule);
  return patches.size - before;
}
