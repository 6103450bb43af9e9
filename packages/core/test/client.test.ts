import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MlflowClient, TracewrightClient, withSpan } from "../src/index.js";
import { storedTraces, treeOf, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();
const client = new TracewrightClient();

describe("client tracing API", () => {
  it("starts a trace, adds and ends a child span, and ends the trace (spec example)", async () => {
    const root = client.startTrace("my_trace", { attributes: { attribute1: "value1" }, tags: { team: "rag" } });
    const requestId = root.requestId;
    const child = client.startSpan({
      name: "child_span",
      traceId: requestId,
      parentId: root.spanId,
      inputs: { input_key: "input_value" },
      attributes: { attribute_key: "attribute_value" },
    });
    client.endSpan({
      traceId: child.traceId,
      spanId: child.spanId,
      outputs: { output_key: "output_value" },
      attributes: { custom_attribute: "value" },
    });
    client.endTrace({
      traceId: requestId,
      outputs: { final_output_key: "final_output_value" },
      attributes: { token_usage: "1174" },
    });
    const [t] = await storedTraces(store());
    expect(treeOf(t!)).toEqual(["my_trace (UNKNOWN) OK", "  child_span (UNKNOWN) OK"]);
    const c = t!.searchSpans({ name: "child_span" })[0]!;
    expect(c.inputs).toEqual({ input_key: "input_value" });
    expect(c.outputs).toEqual({ output_key: "output_value" });
    expect(c.attributes).toMatchObject({ attribute_key: "attribute_value", custom_attribute: "value" });
    expect(t!.data.spans[0]!.getAttribute("token_usage")).toBe("1174");
    expect(t!.info.tags.team).toBe("rag");
    expect(JSON.parse(t!.data.response!)).toEqual({ final_output_key: "final_output_value" });
  });

  it("lets spans of one trace start and end from different async tasks", async () => {
    const root = client.startTrace("fan-out");
    const children = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        const span = client.startSpan({ name: `task-${i}`, traceId: root.traceId, parentId: root.spanId });
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        return span;
      }),
    );
    await Promise.all(
      children.map(async (span, i) => {
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        client.endSpan({ traceId: root.traceId, spanId: span.spanId, outputs: i });
      }),
    );
    client.endTrace({ traceId: root.traceId });
    const [t] = await storedTraces(store());
    expect(t!.data.spans).toHaveLength(21);
    for (const s of t!.data.spans.slice(1)) {
      expect(s.parentId).toBe(root.spanId);
      expect(s.outputs).toBe(Number(s.name.slice(5)));
    }
  });

  it("endTrace ends children left open", async () => {
    const root = client.startTrace("t");
    client.startSpan({ name: "open-child", traceId: root.traceId, parentId: root.spanId });
    client.endTrace({ traceId: root.traceId, status: "ERROR" });
    const [t] = await storedTraces(store());
    expect(t!.info.state).toBe("ERROR");
    expect(t!.searchSpans({ name: "open-child" })[0]!.endTimeNs).not.toBeNull();
  });

  it("accepts a client child span inside a fluent span (spec FAQ)", async () => {
    withSpan({ name: "Testing!" }, (span) => {
      const child = client.startSpan({
        name: "Child Span From Client",
        traceId: span.traceId,
        parentId: span.spanId,
        inputs: { request: "test input" },
        attributes: { attribute1: "value1" },
      });
      client.endSpan({ traceId: span.traceId, spanId: child.spanId, outputs: { response: "test output" } });
    });
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    expect(treeOf(traces[0]!)).toEqual(["Testing! (UNKNOWN) OK", "  Child Span From Client (UNKNOWN) OK"]);
  });

  it("rejects unknown traces and spans with clear errors", () => {
    expect(() => client.startSpan({ name: "x", traceId: "tr-nope", parentId: "abc" })).toThrow(
      /trace tr-nope is not running/,
    );
    const root = client.startTrace("t");
    expect(() => client.startSpan({ name: "x", traceId: root.traceId, parentId: "0000" })).toThrow(
      InvalidArgumentError,
    );
    expect(() => client.endSpan({ traceId: root.traceId, spanId: "ffff" })).toThrow(/no running span "ffff"/);
    client.endTrace({ traceId: root.traceId });
    expect(() => client.endTrace({ traceId: root.traceId })).toThrow(/is not running/);
  });

  it("is also exported as MlflowClient", () => {
    expect(new MlflowClient()).toBeInstanceOf(TracewrightClient);
  });
});
