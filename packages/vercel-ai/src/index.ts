/**
 * Tracewright for the Vercel AI SDK: `autolog()` turns every AI SDK call into a trace of typed
 * MLflow spans (agents, model calls with chat messages, tools and token usage, tool executions,
 * embeddings), through the AI SDK's OpenTelemetry integration and `@tracewright/otel-genai`.
 *
 * @packageDocumentation
 */

// kept for code written against earlier versions: the generic bridge now lives in @tracewright/otel-genai
export {
  type ConvertedGenAiSpan,
  convertGenAiSpan,
  GenAiSpan,
  spanTypeOfOperation,
  TracewrightTracerProvider,
} from "@tracewright/otel-genai";
export { autolog, type VercelAiAutologOptions, vercelAiIntegration } from "./autolog.js";
export { aiSdkEmbeddings } from "./embeddings.js";
export { TracewrightTracer } from "./tracer.js";
