/**
 * Tracewright for any OpenTelemetry instrumentation that follows the GenAI semantic conventions:
 * an OpenTelemetry tracer (and tracer provider) whose `gen_ai.*` spans become typed MLflow spans
 * (agents, model calls with chat messages, tools and token usage, tool executions, embeddings).
 *
 * @packageDocumentation
 */
export { GenAiAttributeKey, GenAiOperation } from "@tracewright/core/instrumentation";
export {
  genAiMessagesToChat,
  genAiToolsToChat,
  parseJsonAttribute,
  systemInstructionsToChat,
} from "./genai-messages.js";
export {
  type ConvertedGenAiSpan,
  type ConvertOptions,
  convertGenAiSpan,
  type GenAiSpanExtension,
  genAiOperation,
  spanTypeOfOperation,
} from "./genai-span.js";
export {
  endingAbandonedSpans,
  GenAiSpan,
  TracewrightTracer,
  type TracewrightTracerOptions,
  TracewrightTracerProvider,
} from "./tracer.js";
