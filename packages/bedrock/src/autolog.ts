import { type AutologStatus, defineIntegration, type Integration } from "@tracewright/core/instrumentation";
import { patchBedrockModule, patches } from "./patch.js";
import type { BedrockAutologOptions } from "./types.js";

/** The versions of `@aws-sdk/client-bedrock-runtime` this package is tested with (3.600.0 and 3.1164.0 run in its tests). */
export const TESTED_VERSIONS = ">=3.600.0 <4.0.0";

/** The Bedrock Runtime integration. */
export const integration: Integration<BedrockAutologOptions, undefined> = defineIntegration({
  name: "bedrock",
  modules: [{ name: "@aws-sdk/client-bedrock-runtime", versions: TESTED_VERSIONS }],
  patch: (mod): boolean => patchBedrockModule(mod, integration),
  unpatch: () => patches.restoreAll(),
});

/**
 * Traces every Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream call the
 * app makes through `@aws-sdk/client-bedrock-runtime` (`client.send(command)` or the aggregated
 * `BedrockRuntime` client's methods), streams included, with no other code change: CHAT_MODEL
 * spans named as MLflow names them, with messages, tools and token usage. Works whether the SDK
 * was loaded before or after this call. Idempotent (the latest options win);
 * `autolog({ disable: true })` restores the original methods.
 *
 * The returned promise resolves once an already imported ESM copy is patched too; `await` it when
 * your first call may follow immediately, or start Node with `--import @tracewright/bedrock/register`.
 *
 * @example
 * ```ts
 * import * as bedrock from "@tracewright/bedrock";
 * await bedrock.autolog({ redact: (value) => scrub(value) });
 * ```
 */
export function autolog(options?: BedrockAutologOptions): Promise<AutologStatus> {
  return integration.autolog(options);
}

/**
 * Patches one loaded copy of the SDK explicitly: for bundles and monorepos that hold a copy module
 * hooks cannot see. Honours the options of the last {@link autolog} call (nothing is recorded until
 * autolog is on). Returns the number of command classes newly patched.
 *
 * @example
 * ```ts
 * import * as bedrockRuntime from "@aws-sdk/client-bedrock-runtime";
 * instrumentBedrockModule(bedrockRuntime);
 * ```
 */
export function instrumentBedrockModule(bedrockRuntimeModule: unknown): number {
  const before = patches.size;
  integration.patchModule(bedrockRuntimeModule);
  return patches.size - before;
}
