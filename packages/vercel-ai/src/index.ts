/**
 * Tracewright for the Vercel AI SDK, and for any OpenTelemetry instrumentation that follows the
 * GenAI semantic conventions: `gen_ai.*` spans become typed MLflow spans (agents, model calls
 * with chat messages, tools and token usage, tool executions, embeddings).
 *
 * @packageDocumentation
 */
export { autolog, type VercelAiAutologOptions } from "./autolog.js";
export { type ConvertedGenAiSpan, convertGenAiSpan, spanTypeOfOperation } from "./genai-span.js";
export { GenAiSpan, TracewrightTracer, TracewrightTracerProvider } from "./tracer.js";
