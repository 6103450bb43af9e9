/**
 * Tracewright for the official `@anthropic-ai/sdk` package.
 *
 * @packageDocumentation
 */
export type { AutologStatus, RedactionContext, Redactor } from "@tracewright/core/instrumentation";
export { autolog, instrumentAnthropicModule, TESTED_VERSIONS } from "./autolog.js";
export type { AnthropicAutologOptions } from "./types.js";
