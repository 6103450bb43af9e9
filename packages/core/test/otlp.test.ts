/**
 * The OpenTelemetry collector destination, against a loopback OTLP/HTTP receiver.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getTraceExporter } from "../src/config/destination.js";
import {
  ConfigurationError,
  endRun,
  flushTraces,
  getTraceStore,
  InMemoryTraceStore,
  OtlpTraceExporter,
  OtlpTraceStore,
  SpanAttributeKey,
  SqliteTraceStore,
  setExperiment,
  setTraceDestinations,
  setTraceStore,
  startRun,
  TracewrightClient,
  trace,
  withSpan,
} from "../src/index.js";
import { MlflowTraceStore, MultiTraceStore, ReliableRemoteStore, type TraceExporter } from "../src/stores.js";

type ProtoType = {
  decode(buf: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
};
const { ExportTraceServiceRequest } = (
  createRequire(import.meta.url)("otlp-proto-decoder/build/src/generated/root") as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } };
  }
).opentelemetry.proto.collector.trace.v1;

interface Received {
  contentType: string;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}
const received: Received[] = [];
let server: Server;
let url = "";

beforeAll(async () => {
  process.env.TRACEWRIGHT_SPOOL_DIR = mkdtempSync(join(tmpdir(), "tw-spool-"));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        contentType: String(req.headers["content-type"]),
        body: Buffer.concat(chunks),
        headers: req.headers,
      });
      const json = String(req.headers["content-type"]).includes("json");
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
      res.end(json ? "{}" : "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(async () => {
  await flushTraces();
  setTraceStore(null);
  received.length = 0;
  for (const k of [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
  ]) {
    delete process.env[k];
  }
});

type OtlpValue = { stringValue?: string; intValue?: string | number; kvlistValue?: unknown; arrayValue?: unknown };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: OtlpValue }>;
};

function spansOf(r: Received): { spans: OtlpSpan[]; resource: Array<{ key: string; value: OtlpValue }> } {
  const body = JSON.parse(r.body.toString("utf8")) as {
    resourceSpans: Array<{
      resource: { attributes: Array<{ key: string; value: OtlpValue }> };
      scopeSpans: Array<{ spans: OtlpSpan[] }>;
    }>;
  };
  const rs = body.resourceSpans[0]!;
  return { spans: rs.scopeSpans.flatMap((s) => s.spans), resource: rs.resource.attributes };
}
const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;

function tracedRun() {
  return trace(
    function agent(q: string) {
      return withSpan({ name: "Completions", spanType: "CHAT_MODEL" }, (span) => {
        span.setAttribute(SpanAttributeKey.MODEL, "gpt-4o-mini");
        span.setAttribute(SpanAttributeKey.CHAT_USAGE, { input_tokens: 12, output_tokens: 5, total_tokens: 17 });
        return `answer to ${q}`;
      });
    },
    { spanType: "AGENT" },
  )("q1");
}

describe("exporting to an OpenTelemetry collector", () => {
  it("sends OTLP/JSON when the environment asks for it, with MLflow and GenAI attributes", async () => {
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = url;
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = "http/json";
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = "api_key=12345";
    process.env.OTEL_SERVICE_NAME = "my-llm-service";
    const exporter = getTraceExporter();
    expect(exporter).toBeInstanceOf(ReliableRemoteStore);
    expect((exporter as ReliableRemoteStore).destination).toBeInstanceOf(OtlpTraceExporter);
    tracedRun();
    await flushTraces();
    expect(received).toHaveLength(1);
    const r = received[0]!;
    expect(r.contentType).toContain("application/json");
    expect(r.headers.api_key).toBe("12345");
    const { spans, resource } = spansOf(r);
    expect(resource.find((a) => a.key === "service.name")?.value.stringValue).toBe("my-llm-service");
    expect(spans.map((s) => s.name).sort()).toEqual(["Completions", "agent"]);
    const root = spans.find((s) => s.name === "agent")!;
    const chat = spans.find((s) => s.name === "Completions")!;
    expect(chat.traceId).toBe(root.traceId);
    expect(chat.parentSpanId).toBe(root.spanId);
    expect(attr(root, "mlflow.spanType")?.stringValue).toBe("AGENT");
    expect(attr(root, "mlflow.traceRequestId")?.stringValue).toBe(`tr-${root.traceId}`);
    expect(attr(root, "mlflow.spanInputs")?.kvlistValue).toEqual({
      values: [{ key: "q", value: { stringValue: "q1" } }],
    });
    expect(attr(chat, "gen_ai.operation.name")?.stringValue).toBe("chat");
    expect(attr(chat, "gen_ai.request.model")?.stringValue).toBe("gpt-4o-mini");
    expect(Number(attr(chat, "gen_ai.usage.input_tokens")?.intValue)).toBe(12);
    expect(Number(attr(chat, "gen_ai.usage.output_tokens")?.intValue)).toBe(5);
    await expect(async () => new TracewrightClient().searchTraces()).rejects.toThrow(/write-only/);
  });

  it("sends OTLP/protobuf that decodes to the same spans", async () => {
    setTraceStore(new OtlpTraceStore({ protocol: "http/protobuf", url }));
    tracedRun();
    await flushTraces();
    expect(received).toHaveLength(1);
    expect(received[0]!.contentType).toBe("application/x-protobuf");
    // decode with OpenTelemetry's generated protobuf classes (an older otlp-transformer still ships them)
    const request = ExportTraceServiceRequest.decode(received[0]!.body);
    const { spans } = spansOf({
      ...received[0]!,
      body: Buffer.from(JSON.stringify(ExportTraceServiceRequest.toObject(request, { longs: String, bytes: String }))),
    });
    expect(spans.map((s) => s.name).sort()).toEqual(["Completions", "agent"]);
    const chat = spans.find((s) => s.name === "Completions")!;
    expect(attr(chat, "mlflow.spanType")?.stringValue).toBe("CHAT_MODEL");
    expect(attr(chat, "gen_ai.request.model")?.stringValue).toBe("gpt-4o-mini");
    expect(Number(attr(chat, "gen_ai.usage.output_tokens")?.intValue)).toBe(5);
  });

  it("sends to several destinations at once", async () => {
    const local = new InMemoryTraceStore();
    setTraceDestinations([local, new OtlpTraceStore({ protocol: "http/json", url })]);
    tracedRun();
    await flushTraces();
    expect(local.allTraces()).toHaveLength(1);
    expect(received).toHaveLength(1);
    const page = await new TracewrightClient().searchTraces({ experimentIds: ["0"] });
    expect(page.traces).toHaveLength(1);
  });

  it("sends OTLP through the deprecated OtlpTraceStore name, the same class", async () => {
    expect(OtlpTraceStore).toBe(OtlpTraceExporter);
    setTraceStore(new OtlpTraceStore({ protocol: "http/json", url }));
    tracedRun();
    await flushTraces();
    expect(received).toHaveLength(1);
  });
});

describe("a write-only destination", () => {
  it("has no read methods", () => {
    const otlp = new OtlpTraceExporter({ protocol: "http/json", url });
    for (const method of ["getTrace", "searchTraces", "setTraceTag", "logAssessment", "getExperimentByName"])
      expect(method in otlp).toBe(false);
    expect((otlp as TraceExporter).readsFrom).toBeUndefined();
  });

  it("refuses reads with a ConfigurationError that says what to do, set in code or by the environment", async () => {
    setTraceStore(new OtlpTraceExporter({ protocol: "http/json", url }));
    expect(() => getTraceStore()).toThrow(ConfigurationError);
    expect(() => getTraceStore()).toThrow(/write-only.*setTraceDestinations\(\[new SqliteTraceStore/);
    await expect(new TracewrightClient().getTrace("tr-00000000000000000000000000000001")).rejects.toThrow(
      ConfigurationError,
    );

    setTraceStore(null);
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = url;
    expect(() => getTraceStore()).toThrow(/collector at http:\/\/127\.0\.0\.1.*write-only/);
  });

  it("still takes an experiment (the Default one: a collector keeps none) and a run (kept in this process)", async () => {
    setTraceStore(new OtlpTraceExporter({ protocol: "http/json", url }));
    const experiment = await setExperiment("otlp-only");
    expect(experiment).toEqual({ experimentId: "0", name: "otlp-only" });
    const run = await startRun({ runName: "r" });
    expect(run.runId).toMatch(/^[0-9a-f]{32}$/);
    tracedRun();
    await endRun();
    await flushTraces();
    expect(received).toHaveLength(1);
  });
});

describe("several destinations", () => {
  it("reads from the first that can read, sqlite here, and exports to both", async () => {
    const sqlite = new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-multi-")), "t.db"));
    setTraceDestinations([new OtlpTraceExporter({ protocol: "http/json", url }), sqlite]);
    expect(getTraceStore()).toBe(sqlite);
    const exporter = getTraceExporter();
    expect(exporter).toBeInstanceOf(MultiTraceStore);
    expect(exporter.readsFrom).toBe(sqlite);
    await setExperiment("multi");
    tracedRun();
    await flushTraces();
    expect(received).toHaveLength(1);
    const { spans } = spansOf(received[0]!);
    const root = spans.find((s) => s.name === "agent")!;
    const stored = await new TracewrightClient().getTrace(`tr-${root.traceId}`);
    expect(stored?.data.spans.map((s) => s.name).sort()).toEqual(["Completions", "agent"]);
    expect(stored?.info.experimentId).toBe(
      (sqlite.getExperimentByName("multi") as { experimentId: string }).experimentId,
    );
    sqlite.close();
  });

  it("are wrappers that export only, naming the store their reads go to", () => {
    const server = new MlflowTraceStore({ baseUrl: "http://127.0.0.1:9" });
    const reliable = new ReliableRemoteStore(server, "x", { spoolDir: mkdtempSync(join(tmpdir(), "tw-spool-")) });
    const otlpReliable = new ReliableRemoteStore(new OtlpTraceExporter({ url }), "y", {
      spoolDir: mkdtempSync(join(tmpdir(), "tw-spool-")),
    });
    const local = new InMemoryTraceStore();
    const multi = new MultiTraceStore([otlpReliable, reliable, local]);
    for (const wrapper of [reliable, otlpReliable, multi])
      for (const method of [
        "getTrace",
        "searchTraces",
        "deleteTraces",
        "logAssessment",
        "createRun",
        "getExperimentById",
      ])
        expect(method in wrapper).toBe(false);
    expect(reliable.readsFrom).toBe(server);
    expect(otlpReliable.readsFrom).toBeUndefined();
    expect(multi.readsFrom).toBe(server);
    expect(new MultiTraceStore([otlpReliable, local]).readsFrom).toBe(local);
    void reliable.close();
    void otlpReliable.close();
  });

  it("refuses a destination that cannot take traces, naming it", () => {
    expect(() => setTraceDestinations([])).toThrow(ConfigurationError);
    expect(() => setTraceDestinations([new InMemoryTraceStore(), {} as never])).toThrow(
      /setTraceDestinations: destination 1: expected a trace store or exporter/,
    );
    expect(() => setTraceStore("memory:" as never)).toThrow(
      /setTraceStore: expected a trace store or exporter.*string/,
    );
  });
});
