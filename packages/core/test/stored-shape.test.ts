/**
 * The form a traced call is stored in, key for key and in MLflow's order: the span dict (ids in
 * base64, attribute values as JSON text), the trace's metadata and tags. The fast paths of the
 * fluent API (scalar arguments encoded straight from the call, ids converted without a Buffer)
 * must leave it exactly as the general path writes it, and the embedded store must give back
 * exactly what it was handed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  flushTraces,
  InMemoryTraceStore,
  SqliteTraceStore,
  setTraceDestinations,
  setTraceStore,
  trace,
  withSpan,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "tracewright-shape-"));
const sqlite = new SqliteTraceStore(join(dir, "traces.db"));
afterAll(async () => {
  await flushTraces();
  setTraceStore(null);
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
const json = (v: unknown) => JSON.stringify(v);

describe("a traced call as stored", () => {
  it("is MLflow's span dict, metadata and tags, and reads back from the embedded store byte for byte", async () => {
    const memory = new InMemoryTraceStore();
    setTraceDestinations([memory, sqlite]);
    const add = trace(function add(x: number, y = 2) {
      return x + y;
    });
    withSpan({ name: "outer", inputs: { q: "why" } }, () => add(1));
    add(5, 6);
    await flushTraces();
    const byRoot = (name: string) => memory.allTraces().find((t) => t.data.spans[0]!.name === name);
    const nested = byRoot("outer");
    const single = byRoot("add");
    expect(memory.allTraces()).toHaveLength(2);

    const root = single!.data.spans[0]!;
    const traceHex = single!.info.traceId.slice(3);
    expect(json(root.toDict())).toBe(
      json({
        trace_id: b64(traceHex),
        span_id: b64(root.spanId),
        parent_span_id: null,
        name: "add",
        start_time_unix_nano: root.startTimeNs,
        end_time_unix_nano: root.endTimeNs,
        events: [],
        status: { code: "STATUS_CODE_OK", message: "" },
        attributes: {
          "mlflow.traceRequestId": json(single!.info.traceId),
          "mlflow.spanType": json("UNKNOWN"),
          "mlflow.spanInputs": '{"x":5,"y":6}',
          "mlflow.spanFunctionName": json("add"),
          "mlflow.spanOutputs": "11",
        },
      }),
    );
    expect(Object.entries(single!.info.traceMetadata)).toEqual([
      ["mlflow.trace_schema.version", "3"],
      ["mlflow.user", expect.any(String)],
      ["mlflow.source.name", expect.any(String)],
      ["mlflow.source.type", "LOCAL"],
      ["mlflow.traceInputs", '{"x":5,"y":6}'],
      ["mlflow.traceOutputs", "11"],
    ]);
    expect(single!.info.tags).toEqual({ "mlflow.traceName": "add" });
    expect(single!.info.requestPreview).toBe('{"x":5,"y":6}');
    expect(single!.info.responsePreview).toBe("11");

    const [outer, inner] = nested!.data.spans;
    expect(inner!.toDict().parent_span_id).toBe(b64(outer!.spanId));
    expect(inner!.toDict().trace_id).toBe(outer!.toDict().trace_id);
    expect(Object.keys(inner!.toDict().attributes)).toEqual([
      "mlflow.traceRequestId",
      "mlflow.spanType",
      "mlflow.spanInputs",
      "mlflow.spanFunctionName",
      "mlflow.spanOutputs",
    ]);
    expect(inner!.toDict().attributes["mlflow.spanInputs"]).toBe('{"x":1,"y":2}');

    for (const t of [nested!, single!]) {
      const stored = sqlite.getTrace(t.info.traceId);
      expect(stored).not.toBeNull();
      expect(stored!.data.spans.map((s) => json(s.toDict()))).toEqual(t.data.spans.map((s) => json(s.toDict())));
      expect(stored!.info.traceMetadata).toEqual(t.info.traceMetadata);
      expect(stored!.info.tags).toEqual(t.info.tags);
      expect(stored!.info.requestPreview).toBe(t.info.requestPreview);
    }
  });
});
