/**
 * A span's context is a small object of our own (`SpanBoundContext`) instead of a copy of the
 * OpenTelemetry API's context: whatever OpenTelemetry code does with it must see the same values
 * as with the API's own `trace.setSpan(context, span)`.
 */
import { context, createContextKey, trace as otelTrace, ROOT_CONTEXT } from "@opentelemetry/api";
import { isTracingSuppressed, suppressTracing } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { type LiveSpan, withSpan } from "../src/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();
const USER_KEY = createContextKey("app.request-id");
const OTHER_KEY = createContextKey("app.other");
// the first span registers the context manager, without which no context is carried at all
withSpan({ name: "registers the context manager" }, () => undefined);

describe("the context a span runs in", () => {
  it("holds the span and every value of the context it started in", () => {
    context.with(ROOT_CONTEXT.setValue(USER_KEY, "req-1"), () => {
      withSpan({ name: "outer" }, (outer) => {
        const active = context.active();
        expect(otelTrace.getSpan(active)).toBe(outer);
        expect(active.getValue(USER_KEY)).toBe("req-1");
        expect(active.getValue(OTHER_KEY)).toBeUndefined();
      });
    });
  });

  it("answers setValue and deleteValue as the API's context would", () => {
    context.with(ROOT_CONTEXT.setValue(USER_KEY, "req-2"), () => {
      withSpan({ name: "outer" }, (outer) => {
        const active = context.active();
        const added = active.setValue(OTHER_KEY, 42);
        expect(otelTrace.getSpan(added)).toBe(outer);
        expect(added.getValue(OTHER_KEY)).toBe(42);
        expect(added.getValue(USER_KEY)).toBe("req-2");
        expect(active.getValue(OTHER_KEY)).toBeUndefined(); // contexts are immutable
        const withoutUser = active.deleteValue(USER_KEY);
        expect(withoutUser.getValue(USER_KEY)).toBeUndefined();
        expect(otelTrace.getSpan(withoutUser)).toBe(outer);
        const withoutSpan = otelTrace.deleteSpan(active);
        expect(otelTrace.getSpan(withoutSpan)).toBeUndefined();
        expect(withoutSpan.getValue(USER_KEY)).toBe("req-2");
        const replaced = otelTrace.setSpan(active, otelTrace.wrapSpanContext(outer.spanContext()));
        expect(otelTrace.getSpan(replaced)).not.toBe(outer);
        expect(otelTrace.getSpan(replaced)?.spanContext().spanId).toBe(outer.spanId);
        expect(replaced.getValue(USER_KEY)).toBe("req-2");
      });
    });
  });

  it("nests deeply without the values of the outer contexts being lost", async () => {
    const depth = 60;
    const seen: Array<LiveSpan | undefined> = [];
    const nest = (level: number): void => {
      withSpan({ name: `level-${level}` }, (span) => {
        seen.push(otelTrace.getSpan(context.active()) as LiveSpan | undefined);
        expect(context.active().getValue(USER_KEY)).toBe("deep");
        expect(span.parentId).toBe(level === 0 ? null : (seen[level - 1]?.spanId ?? "missing"));
        if (level + 1 < depth) nest(level + 1);
      });
    };
    context.with(ROOT_CONTEXT.setValue(USER_KEY, "deep"), () => nest(0));
    const [t] = await storedTraces(store());
    expect(t!.data.spans).toHaveLength(depth);
  });

  it("passes OpenTelemetry's tracing suppression through to the SDK's spans started inside", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer("app");
    context.with(suppressTracing(context.active()), () => {
      withSpan({ name: "ours" }, () => {
        expect(isTracingSuppressed(context.active())).toBe(true);
        tracer.startSpan("suppressed").end();
        expect(isTracingSuppressed(context.active().setValue(OTHER_KEY, 1))).toBe(true);
      });
    });
    withSpan({ name: "ours" }, () => {
      expect(isTracingSuppressed(context.active())).toBe(false);
      tracer.startSpan("recorded").end();
    });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["recorded"]);
    await provider.shutdown();
  });
});
