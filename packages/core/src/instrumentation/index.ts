/**
 * `@tracewright/core/instrumentation`: what an integration author needs, and nothing an
 * application calls. Declare the integration once with {@link defineIntegration}; make spans with
 * its `instrumentCall` / `startSpan`, which carry its redactor.
 *
 * @packageDocumentation
 */

export { GenAiAttributeKey, GenAiOperation } from "../genai-keys.js";
export { timeInputToNs } from "../internal/clock.js";
export { type ActiveSpanResolver, registerActiveSpanResolver } from "../tracing/context.js";
export {
  type InstrumentHooks,
  instrumentCall,
  isThenable,
  runSafely,
  type SpanOptions,
} from "../tracing/instrument.js";
export { REDACTION_FAILED, type RedactionContext, type RedactionTarget, type Redactor } from "../tracing/redaction.js";
export { type ApiPromiseHooks, type ApiPromiseLike, isApiPromise, observeApiPromise } from "./api-promise.js";
export {
  type ActiveSettings,
  type AutologStatus,
  defineIntegration,
  type Integration,
  type IntegrationDefinition,
  type ModuleTarget,
  type PatchContext,
} from "./define-integration.js";
export { type FixedSettingsTracing, withFixedSettings } from "./fixed-settings.js";
export type { IntegrationLog } from "./integration-log.js";
export { type MethodPatches, methodPatches, type WrapOptions } from "./method-patches.js";
export { appDirs, type LoadedCopy, loadedCommonJsCopies, resolveEsm } from "./module-copies.js";
export type { AutologOptions, CommonSettings } from "./options.js";
export { registerImportHooks } from "./register-imports.js";
export { observeSdkResult, recordSdkError, recordSdkResult, type SdkCallRecorder } from "./sdk-call.js";
export {
  hasIteratorFactory,
  type IteratorFactoryStream,
  observeAsyncIterable,
  observeIteratorFactoryStream,
  type StreamEnding,
  type StreamHooks,
} from "./stream-observer.js";
export { isRecord, parseJsonString } from "./values.js";
