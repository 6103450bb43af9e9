/**
 * What an MLflow tracking server must see from us for MLflow's own clients and UI to work on our
 * traces: runs it knows, spans it indexes, pages it accepts, errors that say what happened,
 * the metadata its UI shows, and experiments that exist. Against the loopback fake server, which
 * answers as the MLflow 3.11 server captured in shared/research/mlflow-wire.md.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigurationError,
  endRun,
  flushTraces,
  getTrace,
  InMemoryTraceStore,
  logFeedback,
  searchTraces,
  setExperiment,
  setTraceStore,
  setTrackingUri,
  startRun,
  TraceNotFoundError,
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
  if (currentRun) await endRun();
  currentRun = false;
  setTraceStore(null);
  setTrackingUri("memory:");
  await setExperiment({ experimentId: "0" });
});
let currentRun = false;

const requestsTo = (s: FakeMlflowServer, method: string, path: string) =>
  s.requests.filter((r) => r.method === method && r.path.split("?")[0] === path);

const answer = trace(
  function answer(q: string) {
    return withSpan({ name: "retrieve", spanType: "RETRIEVER" }, () => `A: ${q}`);
  },
  { spanType: "CHAIN" },
);

describe("runs on an MLflow server", () => {
  it("creates the run with runs/create, uses the server's id, and ends it with runs/update", async () => {
    setTrackingUri(server.url);
    const exp = await setExperiment("runs-demo");
    const run = await startRun({ runName: "eval-1" });
    currentRun = true;
    // MlflowClient().get_run(id) on the server
    const fetched = await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${run.runId}`);
    expect(fetched.status).toBe(200);
    const body = (await fetched.json()) as { run: { info: Record<string, unknown>; data: { tags: unknown[] } } };
    expect(body.run.info).toMatchObject({ run_id: run.runId, experiment_id: exp.experimentId, run_name: "eval-1" });
    expect(body.run.data.tags).toContainEqual({ key: "mlflow.runName", value: "eval-1" });
    expect(body.run.data.tags).toContainEqual({ key: "mlflow.user", value: userInfo().username });

    answer("in a run");
    await flushTraces();
    await endRun();
    currentRun = false;
    const update = JSON.parse(requestsTo(server, "POST", "/api/2.0/mlflow/runs/update").at(-1)!.body);
    expect(update).toMatchObject({ run_id: run.runId, status: "FINISHED" });
    expect(typeof update.end_time).toBe("number");
    expect(server.runs.get(run.runId)!.info).toMatchObject({ status: "FINISHED" });

    // mlflow.search_traces(run_id=...) asks the server with `run_id = '<id>'`
    const rows = await searchTraces({ experimentIds: [exp.experimentId], runId: run.runId });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.trace_metadata["mlflow.sourceRun"]).toBe(run.runId);
  });
});

describe("span ingest", () => {
  it("sends spans through OTLP by default on MLflow >= 3.4, so the server indexes them for span.* filters", async () => {
    setTrackingUri(server.url);
    const before = server.requests.length;
    answer("indexed?");
    answer("again");
    await flushTraces();
    const mine = server.requests.slice(before);
    expect(mine.filter((r) => r.path === "/version").length).toBeLessThanOrEqual(1); // asked once per server
    expect(mine.filter((r) => r.path === "/v1/traces")).toHaveLength(2);
    expect(mine.filter((r) => r.method === "PUT")).toHaveLength(0); // the server holds the spans already
    const rows = await searchTraces({ experimentIds: ["0"], filterString: "span.name = 'retrieve'", maxResults: 500 });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const t = (await getTrace(rows[0]!.trace_id))!;
    expect(t.data.spans.map((s) => s.name).sort()).toEqual(["answer", "retrieve"]);
    expect(t.data.spans.find((s) => s.name === "retrieve")!.parentId).toBe(
      t.data.spans.find((s) => s.name === "answer")!.spanId,
    );
  });

  it("falls back to traces.json, and stays there, when the server's /v1/traces answers 404", async () => {
    const odd = await new FakeMlflowServer().start();
    try {
      odd.otlpSupported = false; // claims 3.11 but has no ingest route (a proxy in front, say)
      setTraceStore(new MlflowTraceStore({ baseUrl: odd.url }));
      answer("first");
      await flushTraces();
      answer("second");
      await flushTraces();
      expect(requestsTo(odd, "POST", "/v1/traces")).toHaveLength(1);
      expect(requestsTo(odd, "POST", "/api/3.0/mlflow/traces")).toHaveLength(2);
      expect(odd.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/traces.json"))).toHaveLength(2);
      const [t] = (await new TracewrightClient().searchTraces({ experimentIds: ["0"] })).traces;
      expect(t!.data.spans).toHaveLength(2);
    } finally {
      await odd.stop();
    }
  });

  it("never sends OTLP with otlpIngest: false", async () => {
    const s = await new FakeMlflowServer().start();
    try {
      setTraceStore(new MlflowTraceStore({ baseUrl: s.url, otlpIngest: false }));
      answer("x");
      await flushTraces();
      expect(s.requests.map((r) => r.path.split("?")[0])).not.toContain("/v1/traces");
      expect(s.requests.map((r) => r.path.split("?")[0])).not.toContain("/version");
    } finally {
      await s.stop();
    }
  });
});

describe("searching more than one page", () => {
  it("pages as MLflow's client does: searchTraces({ maxResults: 600 }) gets 600 traces in requests of at most 500", async () => {
    const s = await new FakeMlflowServer().start();
    try {
      const t0 = Date.parse("2026-11-01T00:00:00Z");
      for (let i = 0; i < 650; i++) {
        const id = `tr-${i.toString(16).padStart(32, "0")}`;
        s.seed(
          {
            trace_id: id,
            trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: "0" } },
            request_time: new Date(t0 + i * 1000).toISOString(),
            execution_duration: "0.001s",
            state: "OK",
            trace_metadata: {},
            tags: {},
          },
          '{"spans":[]}',
        );
      }
      setTraceStore(new MlflowTraceStore({ baseUrl: s.url }));
      const rows = await searchTraces({ experimentIds: ["0"], maxResults: 600 });
      expect(rows).toHaveLength(600);
      expect(new Set(rows.map((r) => r.trace_id)).size).toBe(600);
      const sizes = requestsTo(s, "POST", "/api/3.0/mlflow/traces/search").map((r) => JSON.parse(r.body).max_results);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
      const page = await new TracewrightClient().searchTraces({
        experimentIds: ["0"],
        maxResults: 600,
        includeSpans: false,
      });
      expect(page.traces).toHaveLength(600);
      expect(page.nextPageToken).not.toBeNull(); // 50 more
    } finally {
      await s.stop();
    }
  });
});

describe("writes to an unknown trace", () => {
  it("a tag or an assessment on an unknown trace id is a TraceNotFoundError, not a raw server error", async () => {
    setTraceStore(new MlflowTraceStore({ baseUrl: server.url }));
    const missing = "tr-0123456789abcdef0123456789abcdef";
    const tagError = await new TracewrightClient().setTraceTag(missing, "k", "v").catch((e: unknown) => e);
    expect(tagError).toBeInstanceOf(TraceNotFoundError);
    expect((tagError as TraceNotFoundError).traceId).toBe(missing);
    const feedbackError = await logFeedback({ traceId: missing, name: "ok", value: true }).catch((e: unknown) => e);
    expect(feedbackError).toBeInstanceOf(TraceNotFoundError);
  });
});

describe("trace metadata MLflow's UI shows", () => {
  it("sends mlflow.trace.sizeBytes, mlflow.trace.sizeStats, mlflow.user and mlflow.source.* in the format MLflow's client writes", async () => {
    setTraceStore(new MlflowTraceStore({ baseUrl: server.url }));
    answer("how big?");
    await flushTraces();
    const info = JSON.parse(requestsTo(server, "POST", "/api/3.0/mlflow/traces").at(-1)!.body).trace.trace_info;
    const metadata = info.trace_metadata as Record<string, string>;
    expect(metadata["mlflow.user"]).toBe(userInfo().username);
    expect(metadata["mlflow.source.name"]).toBe(process.argv[1]);
    expect(metadata["mlflow.source.type"]).toBe("LOCAL");
    const stats = metadata["mlflow.trace.sizeStats"]!;
    // json.dumps' separators, MLflow's key names and order
    expect(stats).toMatch(
      /^\{"total_size_bytes": \d+, "num_spans": 2, "max": \d+, "p25": \d+, "p50": \d+, "p75": \d+\}$/,
    );
    const parsed = JSON.parse(stats) as Record<string, number>;
    expect(metadata["mlflow.trace.sizeBytes"]).toBe(String(parsed.total_size_bytes));
    const spans = (await getTrace(info.trace_id))!.data.spans.map((s) => Buffer.byteLength(JSON.stringify(s.toDict())));
    expect(parsed.max).toBe(Math.max(...spans));
    expect(parsed.total_size_bytes).toBeGreaterThan(spans[0]! + spans[1]!);
  });
});

describe("experiments by id", () => {
  it("setExperiment({ experimentId }) refuses an id the server does not have, and returns the experiment's name", async () => {
    setTrackingUri(server.url);
    const error = await setExperiment({ experimentId: "9999" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('"9999"');
    const made = await setExperiment("named-by-id");
    await setExperiment({ experimentId: "0" });
    expect(await setExperiment({ experimentId: made.experimentId })).toEqual({
      experimentId: made.experimentId,
      name: "named-by-id",
    });
  });

  it("startRun({ experimentId }) refuses an unknown id; traces are never sent where no listing shows them", async () => {
    setTrackingUri(server.url);
    const before = requestsTo(server, "POST", "/api/2.0/mlflow/runs/create").length;
    await expect(startRun({ experimentId: "4242" })).rejects.toThrow(ConfigurationError);
    expect(requestsTo(server, "POST", "/api/2.0/mlflow/runs/create")).toHaveLength(before);
  });

  it("the embedded and in-memory stores validate ids the same way", async () => {
    setTraceStore(new InMemoryTraceStore());
    await expect(setExperiment({ experimentId: "9999" })).rejects.toThrow(ConfigurationError);
    await expect(startRun({ experimentId: "4242" })).rejects.toThrow(ConfigurationError);
    setTrackingUri(`sqlite:${join(mkdtempSync(join(tmpdir(), "tw-exp-")), "t.db")}`);
    await expect(setExperiment({ experimentId: "9999" })).rejects.toThrow(/no experiment with id "9999"/);
    const made = await setExperiment("local-one");
    await setExperiment({ experimentId: "0" });
    expect((await setExperiment({ experimentId: made.experimentId })).name).toBe("local-one");
    expect((await setExperiment({ experimentId: "0" })).name).toBe("Default");
  });
});
