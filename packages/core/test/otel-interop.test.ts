import { trace as otelTrace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { type LiveSpan, withSpan } from "../src/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

describe("OpenTelemetry interop", () => {
  it("is the active OpenTelemetry span, so OpenTelemetry instrumentations nest under it", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer("app");
    let ours: LiveSpan | undefined;
    await withSpan({ name: "llm-call" }, async (span) => {
      ours = span;
      expect(otelTrace.getActiveSpan()).toBe(span);
      await tracer.startActiveSpan("HTTP POST", async (httpSpan) => {
        await new Promise((r) => setTimeout(r, 1));
        httpSpan.end();
      });
    });
    const [httpSpan] = exporter.getFinishedSpans();
    expect(httpSpan!.spanContext().traceId).toBe(ours!.spanContext().traceId);
    expect(httpSpan!.parentSpanContext?.spanId).toBe(ours!.spanId);
    const [t] = await storedTraces(store());
    expect(t!.info.traceId).toBe(`tr-${httpSpan!.spanContext().traceId}`);
    await provider.shutdown();
  });
});
