/**
 * Tracewright for LangChain.js and LangGraph.
 *
 * @packageDocumentation
 */
export { autolog, type LangChainAutologOptions } from "./autolog.js";
export { TracewrightCallbackHandler, type TracewrightCallbackHandlerOptions } from "./handler.js";
