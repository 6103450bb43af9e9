/**
 * Tracewright for LangChain.js and LangGraph.
 *
 * @packageDocumentation
 */
export type { AutologStatus } from "@tracewright/core/instrumentation";
export { autolog } from "./autolog.js";
export { TracewrightCallbackHandler } from "./handler.js";
export type { LangChainAutologOptions, LangChainOptions, TracewrightCallbackHandlerOptions } from "./types.js";
