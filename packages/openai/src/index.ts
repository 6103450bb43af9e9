/**
 * Tracewright for the official `openai` package.
 *
 * @packageDocumentation
 */
export type { AutologStatus, RedactionContext, Redactor } from "@tracewright/core/instrumentation";
export { autolog, instrumentOpenAIModule, traced } from "./autolog.js";
export { type InstrumentOpenAIFromOptions, instrumentOpenAIFrom } from "./nested-copy.js";
export type { OpenAIAutologOptions } from "./types.js";
