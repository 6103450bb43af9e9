import { describe, expect, it } from "vitest";
import { diffTraces } from "../src/app/diff.js";
import { ancestorsOf, buildSpanTree, visibleRows } from "../src/app/span-tree.js";
import type { SpanView, TraceView } from "../src/index.js";

function span(
  spanId: string,
  parentId: string | null,
  name: string,
  start: number,
  end: number,
  extra: Partial<SpanView> = {},
): SpanView {
  return {
    spanId,
    parentId,
    name,
    spanType: "CHAIN",
    startTimeNs: start * 1e6,
    endTimeNs: end * 1e6,
    status: { code: "OK", message: "" },
    inputs: null,
    outputs: null,
    attributes: {},
    events: [],
    ...extra,
  };
}

function traceOf(spans: SpanView[], duration: number, tokens: number | null): TraceView {
  return {
    info: {
      traceId: "tr-x",
      experimentId: "0",
      name: "t",
      state: "OK",
      requestTime: 0,
      executionDuration: duration,
      tokens: tokens === null ? null : { input: 0, output: 0, total: tokens },
      tags: {},
      requestPreview: null,
      responsePreview: null,
      spanCount: spans.length,
      assessmentCount: 0,
      metadata: {},
      assessments: [],
    },
    spans,
  };
}

describe("span tree", () => {
  const spans = [
    span("c", "a", "second", 5, 6),
    span("a", null, "root", 0, 10),
    span("b", "a", "first", 1, 4),
    span("d", "b", "leaf", 2, 3),
  ];

  it("orders children by start time and hides the children of collapsed spans", () => {
    const roots = buildSpanTree(spans);
    const names = (collapsed: string[]) =>
      visibleRows(roots, new Set(collapsed)).map((n) => `${n.depth}:${n.span.name}`);
    expect(names([])).toEqual(["0:root", "1:first", "2:leaf", "1:second"]);
    expect(names(["b"])).toEqual(["0:root", "1:first", "1:second"]);
    expect(names(["a"])).toEqual(["0:root"]);
    expect(ancestorsOf(spans, "d")).toEqual(["b", "a"]);
  });

  it("handles a trace 5,000 spans deep without recursion", () => {
    const deep = Array.from({ length: 5000 }, (_, i) =>
      span(`s${i}`, i === 0 ? null : `s${i - 1}`, `n${i}`, i, 10_000),
    );
    const rows = visibleRows(buildSpanTree(deep), new Set());
    expect(rows).toHaveLength(5000);
    expect(rows.at(-1)!.depth).toBe(4999);
  });
});

describe("trace diff", () => {
  it("matches spans by path and reports added, removed and changed spans with latency and token deltas", () => {
    const usage = (total: number) => ({ "mlflow.chat.tokenUsage": { total_tokens: total } });
    const a = traceOf(
      [
        span("1", null, "agent", 0, 100),
        span("2", "1", "chat", 1, 40, { attributes: usage(100) }),
        span("3", "1", "tool", 41, 50),
        span("4", "1", "chat", 51, 90, { attributes: usage(50) }),
      ],
      100,
      150,
    );
    const b = traceOf(
      [
        span("1", null, "agent", 0, 80),
        span("2", "1", "chat", 1, 30, { attributes: usage(90) }),
        span("3", "1", "tool", 31, 35, { status: { code: "ERROR", message: "x" } }),
        span("5", "1", "retry", 36, 40),
      ],
      80,
      90,
    );
    const diff = diffTraces(a, b);
    expect(diff.rows.map((r) => [r.path, r.change])).toEqual([
      ["agent", "same"],
      ["agent / chat", "same"],
      ["agent / tool", "changed"],
      ["agent / chat #2", "removed"],
      ["agent / retry", "added"],
    ]);
    expect(diff.rows[2]!.details).toEqual(["status OK → ERROR"]);
    expect(diff.rows[1]).toMatchObject({ durationMsA: 39, durationMsB: 29, tokensA: 100, tokensB: 90 });
    expect(diff.durationDeltaMs).toBe(-20);
    expect(diff.tokenDelta).toBe(-60);
    expect(diff.counts).toEqual({ same: 2, changed: 1, added: 1, removed: 1 });
  });
});
