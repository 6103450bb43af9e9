/**
 * Tracewright for LlamaIndex.TS: `autolog()` turns query engines, chat engines, retrievers, LLM,
 * embedding and tool calls, and agents into typed MLflow spans.
 *
 * @packageDocumentation
 */
export type { AutologStatus, RedactionContext, Redactor } from "@tracewright/core/instrumentation";
export { autolog, instrumentLlamaIndexModule } from "./autolog.js";
export type { LlamaIndexAutologOptions } from "./types.js";
