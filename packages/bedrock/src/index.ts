/**
 * Tracewright for `@aws-sdk/client-bedrock-runtime`.
 *
 * @packageDocumentation
 */
export type { AutologStatus, RedactionContext, Redactor } from "@tracewright/core/instrumentation";
export { autolog, instrumentBedrockModule, TESTED_VERSIONS } from "./autolog.js";
export type { BedrockAutologOptions } from "./types.js";
