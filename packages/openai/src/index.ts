/**
 * Tracewright for the official `openai` package.
 *
 * @packageDocumentation
 */
export { autolog, instrumentOpenAIModule, traced } from "./autolog.js";
export { type InstrumentOpenAIFromOptions, instrumentOpenAIFrom } from "./nested-copy.js";
export type { OpenAIAutologOptions, RedactTarget } from "./types.js";
