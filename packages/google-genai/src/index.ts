/**
 * Tracewright for `@google/genai`, Google's Gen AI SDK (Gemini API and Vertex AI).
 *
 * @packageDocumentation
 */
export type { AutologStatus, RedactionContext, Redactor } from "@tracewright/core/instrumentation";
export { autolog, instrumentGoogleGenAIModule, traced } from "./autolog.js";
export type { GoogleGenAIAutologOptions } from "./types.js";
