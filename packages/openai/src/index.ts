/**
 * Tracewright for the official `openai` package.
 *
 * @packageDocumentation
 */
export { autolog, instrumentOpenAIModule, traced } from "./autolog.js";
export type { OpenAIAutologOptions, RedactTarget } from "./types.js";
