import { trace as otelTrace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { type LiveSpan, type Trace, withSpan } from "../src/index.js";
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

describe("inside an application's own OpenTelemetry spans", () => {
  it("joins the app's trace tree: same trace id, the app span as the remote parent", async () => {
    const handed: Trace[] = [];
    const original = store().logTraces.bind(store());
    store().logTraces = (traces: Trace[]) => {
      handed.push(...traces);
      original(traces);
    };
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const tracer = provider.getTracer("app");
    let appTraceId = "";
    let appSpanId = "";
    await tracer.startActiveSpan("HTTP GET /ask", async (httpSpan) => {
      appTraceId = httpSpan.spanContext().traceId;
      appSpanId = httpSpan.spanContext().spanId;
      await withSpan({ name: "handler", spanType: "CHAIN" }, async () => undefined);
      httpSpan.end();
    });
    await storedTraces(store());
    const t = handed[0]!;
    expect(t.info.traceId).toBe(`tr-${appTraceId}`);
    const root = t.data.spans[0]!;
    // MLflow's data keeps the root a root; the app parent is kept for OpenTelemetry export
    expect(root.parentId).toBeNull();
    expect(root.remoteParentId).toBe(appSpanId);
    await provider.shutdown();
  });

  it("stays in the Tracewright trace when an app span sits between two Tracewright spans", async () => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    const tracer = provider.getTracer("app");
    await withSpan({ name: "outer" }, async () => {
      await tracer.startActiveSpan("db.query", async (dbSpan) => {
        await withSpan({ name: "inner" }, async () => undefined);
        dbSpan.end();
      });
    });
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    expect(traces[0]!.data.spans.map((s) => s.name)).toEqual(["outer", "inner"]);
    expect(traces[0]!.data.spans[1]!.parentId).toBe(traces[0]!.data.spans[0]!.spanId);
    await provider.shutdown();
  });
});
