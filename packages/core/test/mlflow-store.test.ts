/**
 * The MLflow tracking-server destination against a loopback server that validates requests as
 * MLflow 3.11 does (see test/fake-mlflow-server.ts and shared/research/mlflow-wire.md).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AssessmentSource,
  flushTraces,
  getExportStats,
  getTrace,
  setExperiment,
  setTraceStore,
  setTrackingUri,
  TracewrightClient,
  trace,
  withSpan,
} from "../src/index.js";
import { MlflowTraceStore } from "../src/stores.js";
import { FakeMlflowServer } from "./fake-mlflow-server.js";

const server = new FakeMlflowServer();
beforeAll(async () => {
  process.env.TRACEWRIGHT_SPOOL_DIR = mkdtempSync(join(tmpdir(), "tw-spool-"));
  await server.start();
});
afterAll(async () => {
  await server.stop();
});
afterEach(async () => {
  await flushTraces();
  setTraceStore(null);
  delete process.env.MLFLOW_TRACKING_TOKEN;
  delete process.env.MLFLOW_TRACKING_USERNAME;
  delete process.env.MLFLOW_TRACKING_PASSWORD;
});

const lastRequest = (method: string, pathPrefix: string) =>
  server.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).at(-1)!;

describe("logging to an MLflow tracking server", () => {
  it("on a server without OTLP ingest (MLflow < 3.4): creates the experiment, logs the trace info with StartTraceV3 and uploads traces.json", async () => {
    const legacy = await new FakeMlflowServer().start();
    legacy.version = "3.3.2";
    legacy.otlpSupported = false;
    const lastRequest = (method: string, pathPrefix: string) =>
      legacy.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).at(-1)!;
    setTrackingUri(legacy.url);
    const exp = await setExperiment("remote-demo");
    expect(legacy.experiments.get("remote-demo")).toBe(exp.experimentId);
    const answer = trace(
      function answer(q: string) {
        return withSpan({ name: "llm", spanType: "CHAT_MODEL" }, (span) => {
          span.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 3, output_tokens: 2, total_tokens: 5 });
          return `A: ${q}`;
        });
      },
      { spanType: "CHAIN" },
    );
    answer("2+2?");
    await flushTraces();

    const start = JSON.parse(lastRequest("POST", "/api/3.0/mlflow/traces").body) as {
      trace: { trace_info: Record<string, unknown> };
    };
    const info = start.trace.trace_info;
    expect(Object.keys(info).sort()).toEqual(
      [
        "execution_duration",
        "request_preview",
        "request_time",
        "response_preview",
        "state",
        "tags",
        "trace_id",
        "trace_location",
        "trace_metadata",
      ].sort(),
    );
    expect(info.trace_location).toEqual({
      type: "MLFLOW_EXPERIMENT",
      mlflow_experiment: { experiment_id: exp.experimentId },
    });
    expect(info.state).toBe("OK");
    expect(info.tags).toEqual({ "mlflow.traceName": "answer" });
    expect((info.trace_metadata as Record<string, string>)["mlflow.trace_schema.version"]).toBe("3");
    expect((info.trace_metadata as Record<string, string>)["mlflow.trace.tokenUsage"]).toBe(
      '{"input_tokens":3,"output_tokens":2,"total_tokens":5}',
    );

    const put = lastRequest("PUT", "/api/2.0/mlflow-artifacts/artifacts/");
    expect(put.path).toBe(
      `/api/2.0/mlflow-artifacts/artifacts/${exp.experimentId}/traces/${String(info.trace_id)}/artifacts/traces.json`,
    );
    const uploaded = JSON.parse(put.body) as { spans: Array<Record<string, unknown>> };
    expect(uploaded.spans).toHaveLength(2);
    const root = uploaded.spans[0]!;
    expect(root.parent_span_id).toBeNull();
    expect(Buffer.from(String(root.trace_id), "base64")).toHaveLength(16);
    expect(Buffer.from(String(root.span_id), "base64")).toHaveLength(8);
    expect((root.attributes as Record<string, string>)["mlflow.spanType"]).toBe('"CHAIN"');
    expect((root.status as { code: string }).code).toBe("STATUS_CODE_OK");

    const back = (await getTrace(String(info.trace_id)))!;
    expect(back.data.spans.map((s) => `${s.name}:${s.spanType}`)).toEqual(["answer:CHAIN", "llm:CHAT_MODEL"]);
    expect(back.info.tokenUsage?.total_tokens).toBe(5);
    expect(legacy.requests.some((r) => r.path === "/v1/traces")).toBe(false); // asked /version, never sent OTLP
    expect(legacy.requests.filter((r) => r.path === "/version")).toHaveLength(1);
    await setExperiment({ experimentId: "0" });
    await legacy.stop();
  });

  it("reads a trace that MLflow's Python client logged", async () => {
    server.seed(
      {
        trace_id: "tr-5db0a635b7b64d2c974d9b716db4e1db",
        trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: "0" } },
        request_time: "2026-11-22T17:38:18Z",
        execution_duration: "0.250s",
        state: "OK",
        trace_metadata: { "mlflow.trace_schema.version": "3" },
        tags: { sdk: "raw", "mlflow.traceName": "ts-root" },
        request_preview: '{"q": 1}',
        response_preview: '{"a": 2}',
      },
      JSON.stringify({
        spans: [
          {
            trace_id: "XbCmNbe2TSyXTZtxbbTh2w==",
            span_id: "0Vg0iiqJRCs=",
            parent_span_id: null,
            name: "ts-root",
            start_time_unix_nano: 1795369098846046000,
            end_time_unix_nano: 1795369099096046000,
            events: [],
            status: { code: "STATUS_CODE_OK", message: "" },
            attributes: { "mlflow.spanType": '"CHAIN"', "mlflow.spanInputs": '{"q": 1}' },
          },
        ],
      }),
    );
    setTraceStore(new MlflowTraceStore({ baseUrl: server.url }));
    const t = (await new TracewrightClient().getTrace("tr-5db0a635b7b64d2c974d9b716db4e1db"))!;
    expect(t.info.executionDuration).toBe(250);
    expect(t.info.tags.sdk).toBe("raw");
    expect(t.data.spans[0]!.inputs).toEqual({ q: 1 });
    expect(t.data.spans[0]!.traceId).toBe("tr-5db0a635b7b64d2c974d9b716db4e1db");
  });

  it("searches, tags, assesses and deletes through the client", async () => {
    setTraceStore(new MlflowTraceStore({ baseUrl: server.url }));
    const client = new TracewrightClient();
    const root = client.startTrace("searchable", { tags: { team: "search" } });
    client.endTrace({ traceId: root.traceId, outputs: { ok: true } });
    await flushTraces();

    const page = await client.searchTraces({ experimentIds: ["0"], filterString: "tags.team = 'search'" });
    expect(page.traces.map((t) => t.info.traceId)).toEqual([root.traceId]);
    const search = JSON.parse(lastRequest("POST", "/api/3.0/mlflow/traces/search").body);
    expect(search).toEqual({
      locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: "0" } }],
      max_results: 100,
      order_by: ["timestamp_ms DESC"],
      filter: "tags.team = 'search'",
    });

    const downloadsBefore = server.requests.filter((r) => r.method === "GET").length;
    const light = await client.searchTraces({
      experimentIds: ["0"],
      filterString: "tags.team = 'search'",
      includeSpans: false,
    });
    expect(light.traces.map((t) => [t.info.traceId, t.data.spans.length])).toEqual([[root.traceId, 0]]);
    expect(server.requests.filter((r) => r.method === "GET").length).toBe(downloadsBefore); // no span download

    await client.setTraceTag(root.traceId, "reviewed", "yes");
    expect(JSON.parse(lastRequest("PATCH", `/api/2.0/mlflow/traces/${root.traceId}/tags`).body)).toEqual({
      key: "reviewed",
      value: "yes",
    });
    await client.deleteTraceTag(root.traceId, "team");
    expect(JSON.parse(lastRequest("DELETE", `/api/2.0/mlflow/traces/${root.traceId}/tags`).body)).toEqual({
      key: "team",
    });

    const feedback = await client.logFeedback({
      traceId: root.traceId,
      name: "correct",
      value: true,
      rationale: "2+2=4",
      source: new AssessmentSource({ sourceType: "HUMAN", sourceId: "alice" }),
    });
    expect(feedback.assessmentId).toMatch(/^a-/);
    const sent = JSON.parse(lastRequest("POST", `/api/3.0/mlflow/traces/${root.traceId}/assessments`).body).assessment;
    expect(sent).toMatchObject({
      assessment_name: "correct",
      trace_id: root.traceId,
      source: { source_type: "HUMAN", source_id: "alice" },
      feedback: { value: true },
      rationale: "2+2=4",
      valid: true,
    });
    expect(sent.assessment_id).toBeUndefined();
    const reread = await client.getTrace(root.traceId);
    expect(reread.info.tags).toMatchObject({ reviewed: "yes" });
    expect(reread.info.tags.team).toBeUndefined();
    expect(reread.searchAssessments({ name: "correct" })[0]!.value).toBe(true);

    expect(await client.deleteTraces({ experimentId: "0", traceIds: [root.traceId] })).toBe(1);
    expect(JSON.parse(lastRequest("POST", "/api/2.0/mlflow/traces/delete-traces").body)).toEqual({
      experiment_id: "0",
      request_ids: [root.traceId],
    });
    await expect(client.getTrace(root.traceId)).rejects.toThrow(/not found/);
  });

  it("lists the server's experiments", async () => {
    const store = new MlflowTraceStore({ baseUrl: server.url });
    await store.createExperiment("listed");
    const names = (await store.listExperiments()).map((e) => e.name);
    expect(names).toContain("Default");
    expect(names).toContain("listed");
  });

  it("authenticates with MLFLOW_TRACKING_TOKEN or basic credentials", async () => {
    process.env.MLFLOW_TRACKING_TOKEN = "tok-123";
    setTrackingUri(server.url);
    await setExperiment("auth-check");
    expect(lastRequest("GET", "/api/2.0/mlflow/experiments/get-by-name").headers.authorization).toBe("Bearer tok-123");
    delete process.env.MLFLOW_TRACKING_TOKEN;
    process.env.MLFLOW_TRACKING_USERNAME = "alice";
    process.env.MLFLOW_TRACKING_PASSWORD = "s3cret";
    setTrackingUri(`${server.url}/`);
    await setExperiment("auth-check-basic");
    expect(lastRequest("GET", "/api/2.0/mlflow/experiments/get-by-name").headers.authorization).toBe(
      `Basic ${Buffer.from("alice:s3cret").toString("base64")}`,
    );
    await setExperiment({ experimentId: "0" });
  });

  it("never breaks the traced call when the server is unreachable, and counts the failure", async () => {
    setTraceStore(new MlflowTraceStore({ baseUrl: "http://127.0.0.1:9", timeoutMs: 2000 }));
    const before = getExportStats().failed;
    expect(trace(() => 42, { name: "offline" })()).toBe(42);
    await flushTraces();
    expect(getExportStats().failed).toBe(before + 1);
  });
});

describe("MLflow's OTLP ingest path", () => {
  it("sends spans to /v1/traces with the experiment header, then the trace info, and skips traces.json once the server holds the spans", async () => {
    setTraceStore(new MlflowTraceStore({ baseUrl: server.url, otlpIngest: true }));
    const before = server.requests.length;
    trace(() => "ok", { name: "ingested", spanType: "CHAIN" })();
    await flushTraces();
    const mine = server.requests.slice(before);
    expect(mine.map((r) => `${r.method} ${r.path.split("?")[0]}`)).toEqual([
      "POST /v1/traces",
      "POST /api/3.0/mlflow/traces",
    ]);
    expect(mine[0]!.headers["x-mlflow-experiment-id"]).toBe("0");
    expect(mine[0]!.headers["content-type"]).toBe("application/x-protobuf");
    const payload = server.otlp.at(-1)!.body.toString("latin1");
    for (const s of ["ingested", "mlflow.spanType", "mlflow.traceRequestId"]) expect(payload).toContain(s);
  });

  it("reads spans the server keeps in its database (/traces/get, OTLP-JSON attributes)", async () => {
    const id = "tr-09231ca0ea4b45c5bf38a0aba3dcd941";
    server.infos.set(id, {
      trace_id: id,
      trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: "0" } },
      request_time: "2026-11-22T17:38:18.846Z",
      execution_duration: "0.001s",
      state: "OK",
      trace_metadata: {},
      tags: {
        "mlflow.trace.spansLocation": "TRACKING_STORE",
        "mlflow.artifactLocation": `mlflow-artifacts:/0/traces/${id}/artifacts`,
      },
      request_preview: '{"x": 1}',
    });
    server.storedSpans.set(id, [
      {
        trace_id: "CSMcoOpLRcW/OKCro9zZQQ==",
        span_id: "5HNSW30pSe8=",
        name: "otlp-root",
        start_time_unix_nano: 1795369098846046000,
        end_time_unix_nano: 1795369098847046000,
        attributes: [
          { key: "mlflow.traceRequestId", value: { string_value: id } },
          { key: "mlflow.spanType", value: { string_value: "CHAIN" } },
          { key: "mlflow.spanInputs", value: { kvlist_value: { values: [{ key: "x", value: { int_value: 1 } }] } } },
          { key: "gen_ai.operation.name", value: { string_value: "chat" } },
        ],
        status: { code: "STATUS_CODE_OK" },
      },
    ]);
    setTraceStore(new MlflowTraceStore({ baseUrl: server.url }));
    const t = (await new TracewrightClient().getTrace(id))!;
    const span = t.data.spans[0]!;
    expect(span.name).toBe("otlp-root");
    expect(span.spanType).toBe("CHAIN");
    expect(span.inputs).toEqual({ x: 1 });
    expect(span.traceId).toBe(id);
    expect(span.parentId).toBeNull();
    expect(span.getAttribute("gen_ai.operation.name")).toBe("chat");
  });

  it("sends extra headers from TRACEWRIGHT_TRACKING_HEADERS and keeps credentials out of errors", async () => {
    process.env.TRACEWRIGHT_TRACKING_HEADERS = "x-team=search,x-env=ci";
    process.env.MLFLOW_TRACKING_TOKEN = "tok-secret-999";
    try {
      setTrackingUri(server.url);
      await setExperiment("headers-check");
      const req = lastRequest("GET", "/api/2.0/mlflow/experiments/get-by-name");
      expect(req.headers["x-team"]).toBe("search");
      expect(req.headers["x-env"]).toBe("ci");
      const offline = new MlflowTraceStore({ baseUrl: "http://127.0.0.1:9", token: "tok-secret-999", timeoutMs: 1000 });
      const error = await offline.getExperimentByName("x").catch((e: unknown) => e as Error);
      expect(String((error as Error).message)).not.toContain("tok-secret-999");
    } finally {
      delete process.env.TRACEWRIGHT_TRACKING_HEADERS;
      await setExperiment({ experimentId: "0" });
    }
  });
});

describe("searching an MLflow server by run", () => {
  it("quotes a run id so that a quote in it cannot change the filter, and refuses one MLflow cannot express", async () => {
    const store = new MlflowTraceStore({ baseUrl: server.url });
    await store.searchTraces({ experimentIds: ["0"], runId: "it's", filterString: "tags.env = 'prod'" });
    expect(JSON.parse(lastRequest("POST", "/api/3.0/mlflow/traces/search").body).filter).toBe(
      `tags.env = 'prod' AND run_id = "it's"`,
    );
    await expect(store.searchTraces({ experimentIds: ["0"], runId: `a'b"c` })).rejects.toThrow(/runId/);
  });
});
