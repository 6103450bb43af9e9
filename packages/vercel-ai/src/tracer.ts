import { TracewrightTracer as GenAiTracer, type TracewrightTracerOptions } from "@tracewright/otel-genai";
import { aiSdkEmbeddings } from "./embeddings.js";

/**
 * `@tracewright/otel-genai`'s tracer, reading the AI SDK's own embedding attributes as well:
 * for a call that passes its own `telemetry: { integrations: [new OpenTelemetry({ tracer:
 * new TracewrightTracer() })] }`. (Kept here under its old name; the generic tracer is
 * `@tracewright/otel-genai`'s.)
 */
export class TracewrightTracer extends GenAiTracer {
  constructor(options: TracewrightTracerOptions = {}) {
    super({ extension: aiSdkEmbeddings, ...options });
  }
}
