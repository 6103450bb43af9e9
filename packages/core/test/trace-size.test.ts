/**
 * The size budget of a finished trace: a span over its budget, then a trace over its budget, has
 * its largest values cut (MLflow's `...` suffix, then how much was cut), the trace's metadata says
 * so, and getExportStats() counts it. Small traces are untouched.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_SPAN_BYTES,
  DEFAULT_MAX_TRACE_BYTES,
  getExportStats,
  SpanEvent,
  setTraceSizeLimits,
  startSpan,
  TRUNCATION_METADATA_KEY,
  trace,
  withSpan,
} from "../src/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();
afterEach(() => setTraceSizeLimits({ maxSpanBytes: DEFAULT_MAX_SPAN_BYTES, maxTraceBytes: DEFAULT_MAX_TRACE_BYTES }));

const MB = 1_000_000;
/** A distinct string of `n` characters (distinct so that no test passes by accident of repetition). */
const big = (tag: string, n: number) => `${tag}:${"x".repeat(n - tag.length - 1)}`;
/** Bytes of a span as the budget counts them: its attribute and event text. */
const spanBytes = (attributes: Record<string, unknown>) =>
  Object.entries(attributes).reduce((n, [k, v]) => n + k.length + JSON.stringify(v).length, 0);
const MARKER = /\.\.\.\[truncated \d+ bytes\]$/;

describe("trace size budget", () => {
  it("cuts a trace of many large strings (18 MB) to the trace budget, largest values first", async () => {
    const before = getExportStats().truncated;
    withSpan({ name: "root" }, () => {
      // 18 child spans of ~1 MB each: every single string is under the 1 MB string cap
      for (let i = 0; i < 18; i++)
        trace((s: string) => s.length, { name: `chunk-${i}` })(big(`chunk${i}`, 0.95 * MB + i * 1000));
    });
    const [t] = await storedTraces(store());
    const total = t!.data.spans.reduce((n, s) => n + spanBytes(s.attributes as Record<string, unknown>), 0);
    expect(total).toBeLessThanOrEqual(DEFAULT_MAX_TRACE_BYTES);
    expect(total).toBeGreaterThan(DEFAULT_MAX_TRACE_BYTES - MB); // cut to fit, not emptied
    const cut = t!.data.spans.filter((s) => typeof s.inputs === "string" && MARKER.test(s.inputs as string));
    expect(cut.length).toBeGreaterThan(0);
    // the largest values went first: every cut span is larger (before the cut) than every uncut one
    const sizeOf = (name: string) => Number(name.slice("chunk-".length));
    const cutIndexes = cut.map((s) => sizeOf(s.name));
    const whole = t!.data.spans
      .filter((s) => s.name.startsWith("chunk-") && !cut.includes(s))
      .map((s) => sizeOf(s.name));
    expect(Math.min(...cutIndexes)).toBeGreaterThan(Math.max(...whole));
    // a cut value keeps the start of the former JSON text
    expect(String(cut[0]!.inputs)).toMatch(/^\{"s":"chunk\d+:xxx/);
    const note = JSON.parse(t!.info.traceMetadata[TRUNCATION_METADATA_KEY] as string);
    expect(note).toMatchObject({ truncated_values: cut.length, max_trace_bytes: DEFAULT_MAX_TRACE_BYTES });
    expect(note.truncated_bytes).toBeGreaterThan(18 * 0.95 * MB - DEFAULT_MAX_TRACE_BYTES);
    expect(getExportStats().truncated).toBe(before + 1);
  });

  it("cuts a span over its budget (many large strings in one span), keeping it under the span budget", async () => {
    const inputs = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`doc${i}`, big(`doc${i}`, 0.9 * MB)]));
    const outputs = big("answer", 0.9 * MB);
    trace((_docs: Record<string, string>) => outputs, { name: "rag" })(inputs);
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(spanBytes(span.attributes as Record<string, unknown>)).toBeLessThanOrEqual(DEFAULT_MAX_SPAN_BYTES);
    // the inputs (5.4 MB) were the largest value: cut; the outputs (0.9 MB) fit once they were
    expect(span.inputs).toMatch(MARKER);
    expect((span.outputs as string).length).toBe(outputs.length);
    expect(span.outputs).toBe(outputs);
    expect(t!.info.traceMetadata[TRUNCATION_METADATA_KEY]).toBeDefined();
  });

  it("leaves traces within the budget untouched, with no truncation note", async () => {
    const before = getExportStats().truncated;
    const value = big("fine", 0.9 * MB);
    trace((s: string) => s, { name: "fits" })(value);
    const [t] = await storedTraces(store());
    expect(t!.data.spans[0]!.outputs).toBe(value);
    expect(t!.info.traceMetadata[TRUNCATION_METADATA_KEY]).toBeUndefined();
    expect(getExportStats().truncated).toBe(before);
  });

  it("applies configured limits; a cut string stays a string starting with its own text", async () => {
    setTraceSizeLimits({ maxSpanBytes: 10_000 });
    const text = big("hello", 50_000);
    trace(() => text, { name: "configured" })();
    const [t] = await storedTraces(store());
    const out = t!.data.spans[0]!.outputs as string;
    expect(out.startsWith("hello:xxx")).toBe(true);
    expect(out).toMatch(MARKER);
    expect(spanBytes(t!.data.spans[0]!.attributes as Record<string, unknown>)).toBeLessThanOrEqual(10_000);
  });

  it("never cuts the attributes that describe the span, and cuts large event attributes too", async () => {
    setTraceSizeLimits({ maxSpanBytes: 20_000 });
    const span = startSpan({ name: "chat", spanType: "CHAT_MODEL", inputs: { prompt: big("prompt", 30_000) } });
    span.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    span.addEvent(new SpanEvent({ name: "exception", attributes: { "exception.stacktrace": big("stack", 30_000) } }));
    span.end();
    const [t] = await storedTraces(store());
    const s = t!.data.spans[0]!;
    expect(s.spanType).toBe("CHAT_MODEL");
    expect(s.getAttribute("mlflow.chat.tokenUsage")).toEqual({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    expect(t!.info.traceMetadata["mlflow.trace.tokenUsage"]).toBeDefined();
    const stack = s.events[0]!.attributes["exception.stacktrace"] as string;
    expect(stack.startsWith("stack:xxx")).toBe(true);
    expect(stack).toMatch(MARKER);
    expect(spanBytes(s.attributes as Record<string, unknown>) + stack.length).toBeLessThanOrEqual(20_000);
  });
});
