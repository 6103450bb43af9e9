/**
 * Reading traces written by MLflow itself: the Python client's traces.json (captured from a
 * real MLflow 3.11 server, see shared/research/mlflow-wire.md) and MLflow's TypeScript SDK form.
 */
import { describe, expect, it } from "vitest";
import { Span, Trace, TraceInfo } from "../src/index.js";

// The spans of trace tr-5db0a635b7b64d2c974d9b716db4e1db as MLflow's Python client uploaded them.
const pythonTracesJson = {
  spans: [
    {
      trace_id: "XbCmNbe2TSyXTZtxbbTh2w==",
      span_id: "0Vg0iiqJRCs=",
      parent_span_id: null,
      name: "ts-root",
      start_time_unix_nano: Number("1795369098846045963"),
      end_time_unix_nano: Number("1795369099096045963"),
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: {
        "mlflow.traceRequestId": '"tr-5db0a635b7b64d2c974d9b716db4e1db"',
        "mlflow.spanType": '"CHAIN"',
        "mlflow.spanInputs": '{"q": 1}',
        "mlflow.spanOutputs": '{"a": 2}',
      },
    },
    {
      trace_id: "XbCmNbe2TSyXTZtxbbTh2w==",
      span_id: "ZedkZaHJQek=",
      parent_span_id: "0Vg0iiqJRCs=",
      name: "ts-child",
      start_time_unix_nano: Number("1795369098846045963"),
      end_time_unix_nano: Number("1795369099096045963"),
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: {
        "mlflow.traceRequestId": '"tr-5db0a635b7b64d2c974d9b716db4e1db"',
        "mlflow.spanType": '"LLM"',
        "mlflow.spanInputs": '{"q": 1}',
        "mlflow.spanOutputs": '{"a": 2}',
      },
    },
  ],
};

// The trace info as the server returned it (GetTraceInfoV3).
const serverTraceInfo = {
  trace_id: "tr-5db0a635b7b64d2c974d9b716db4e1db",
  trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: "3" } },
  request_time: "2026-11-22T17:38:18Z",
  execution_duration: "0.250s",
  state: "OK",
  trace_metadata: { "mlflow.trace_schema.version": "3", "mlflow.traceInputs": '{"q": 1}' },
  tags: { sdk: "raw", "mlflow.traceName": "ts-root" },
  request_preview: '{"q": 1}',
  response_preview: '{"a": 2}',
};

describe("reading MLflow-written traces", () => {
  it("loads the Python client's traces.json and server trace info", () => {
    const t = Trace.fromDict({ info: serverTraceInfo, data: pythonTracesJson });
    expect(t.info.traceId).toBe("tr-5db0a635b7b64d2c974d9b716db4e1db");
    expect(t.info.experimentId).toBe("3");
    expect(t.info.executionDuration).toBe(250);
    expect(t.info.requestTime).toBe(Date.parse("2026-11-22T17:38:18Z"));
    const [root, child] = t.data.spans;
    expect(root!.spanId).toBe("d158348a2a89442b");
    expect(root!.traceId).toBe("tr-5db0a635b7b64d2c974d9b716db4e1db");
    expect(root!.parentId).toBeNull();
    expect(child!.parentId).toBe(root!.spanId);
    expect(child!.spanType).toBe("LLM");
    expect(child!.inputs).toEqual({ q: 1 });
    expect(root!.status.statusCode).toBe("OK");
  });

  it("writes span dicts that encode ids the way MLflow's Python client does", () => {
    const span = Span.fromDict(pythonTracesJson.spans[1]!);
    const d = span.toDict();
    expect(d.trace_id).toBe("XbCmNbe2TSyXTZtxbbTh2w==");
    expect(d.span_id).toBe("ZedkZaHJQek=");
    expect(d.parent_span_id).toBe("0Vg0iiqJRCs=");
    expect(d.attributes["mlflow.spanType"]).toBe('"LLM"');
    expect(d.attributes["mlflow.spanInputs"]).toBe('{"q": 1}');
  });

  it("loads the TypeScript SDK's form: plain attribute values and base64 of the tr- string", () => {
    const tsForm = {
      trace_id: Buffer.from("tr-5db0a635b7b64d2c974d9b716db4e1db").toString("base64"),
      span_id: "0Vg0iiqJRCs=",
      parent_span_id: "",
      name: "ts-root",
      start_time_unix_nano: 1,
      end_time_unix_nano: 2,
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: { "mlflow.spanType": "CHAIN", "mlflow.spanInputs": { q: 1 }, note: "plain text" },
    };
    const span = Span.fromDict(tsForm);
    expect(span.traceId).toBe("tr-5db0a635b7b64d2c974d9b716db4e1db");
    expect(span.parentId).toBeNull();
    expect(span.spanType).toBe("CHAIN");
    expect(span.inputs).toEqual({ q: 1 });
    expect(span.getAttribute("note")).toBe("plain text");
    expect(span.toDict().attributes["mlflow.spanType"]).toBe('"CHAIN"');
  });

  it("reads MLflow 2 span dicts with 0x-prefixed hex ids", () => {
    const span = Span.fromDict({
      name: "A Span",
      context: { span_id: "0x896ff177c0942903", trace_id: "0xcae9cb08ec0a273f4c0aab36c484fe87" },
      parent_id: null,
      start_time: 1718063629190062000,
      end_time: 1718063629190595000,
      status_code: "ERROR",
      status_message: "Exception: Intentionally throwing!",
      attributes: { "mlflow.traceRequestId": '"7d418211df5945fa94e5e39b8009039e"', "mlflow.spanType": '"UNKNOWN"' },
      events: [{ name: "exception", timestamp: 1718063629190527000, attributes: { "exception.type": "Exception" } }],
    });
    expect(span.spanId).toBe("896ff177c0942903");
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events[0]!.attributes["exception.type"]).toBe("Exception");
    expect(span.traceId).toBe("7d418211df5945fa94e5e39b8009039e");
  });

  it("reads base64 ids that begin with 0x (bytes d3 1…, one id in 4096) as base64, not as MLflow 2's hex", () => {
    const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
    const d = {
      trace_id: b64("d31c8e0f1b2a3c4d5e6f708192a3b4c5"),
      span_id: b64("d31c5a0f3e2b1a99"),
      parent_span_id: b64("d31b00c0ffee1234"),
      name: "child",
      start_time_unix_nano: 1,
      end_time_unix_nano: 2,
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: {},
    };
    expect([d.trace_id, d.span_id, d.parent_span_id].map((id) => id.slice(0, 2))).toEqual(["0x", "0x", "0x"]);
    const span = Span.fromDict(d);
    expect(span.spanId).toBe("d31c5a0f3e2b1a99");
    expect(span.parentId).toBe("d31b00c0ffee1234");
    expect(span.traceId).toBe("tr-d31c8e0f1b2a3c4d5e6f708192a3b4c5");
    // and read back as written, however many times
    const again = Span.fromDict(Span.fromDict(span.toDict()).toDict());
    expect([again.spanId, again.parentId]).toEqual(["d31c5a0f3e2b1a99", "d31b00c0ffee1234"]);
    // MLflow 2's form, in either case, is still hex
    expect(Span.fromDict({ ...d, span_id: "0xD31C5A0F3E2B1A99" }).spanId).toBe("d31c5a0f3e2b1a99");
  });

  it("writes TraceInfo dicts in MLflow's to_dict shape", () => {
    const d = TraceInfo.fromDict(serverTraceInfo).toDict();
    expect(d).toMatchObject({
      trace_id: "tr-5db0a635b7b64d2c974d9b716db4e1db",
      trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: "3" } },
      request_time: "2026-11-22T17:38:18.000Z",
      execution_duration_ms: 250,
      state: "OK",
    });
  });
});
