/**
 * Distributed tracing between two real Node processes over loopback HTTP, in both directions
 * (this process calls a child's tool service, and a child calls this process's), into each kind
 * of destination: the embedded store (both processes write one SQLite file), an MLflow tracking
 * server (each process delivers its own spans), and an OTLP collector. Each time: ONE trace, the
 * callee's spans under the caller's span.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tw from "../src/index.js";
import { OtlpTraceExporter, SqliteTraceStore, type Trace } from "../src/index.js";
import { MlflowTraceStore } from "../src/stores.js";
// @ts-expect-error plain ESM shared with the child processes, no declarations
import { callTool, startToolService } from "./distributed-roles.mjs";
import { FakeMlflowServer } from "./fake-mlflow-server.js";

const distEntry = pathToFileURL(resolve(import.meta.dirname, "../dist/index.js")).href;
const rolesModule = pathToFileURL(resolve(import.meta.dirname, "distributed-roles.mjs")).href;
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

type ProtoType = { decode(buf: Uint8Array): unknown; toObject(m: unknown, o: Record<string, unknown>): unknown };
const { ExportTraceServiceRequest } = (
  createRequire(import.meta.url)("otlp-proto-decoder/build/src/generated/root") as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } };
  }
).opentelemetry.proto.collector.trace.v1;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

const mlflow = new FakeMlflowServer();
const collected: OtlpSpan[] = [];
let collector: Server;
let collectorUrl = "";
beforeAll(async () => {
  process.env.TRACEWRIGHT_SPOOL_DIR = tmp("tw-spool-parent-");
  await mlflow.start();
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(Buffer.concat(chunks)), {
        longs: String,
        bytes: String,
      }) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
      const hex = (b64: string | undefined) => (b64 ? Buffer.from(b64, "base64").toString("hex") : undefined);
      for (const rs of request.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            collected.push({
              name: s.name,
              traceId: hex(s.traceId) as string,
              spanId: hex(s.spanId) as string,
              ...(s.parentSpanId ? { parentSpanId: hex(s.parentSpanId) as string } : {}),
            });
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end();
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
});
afterAll(async () => {
  await tw.flushTraces();
  tw.setTraceStore(null);
  await mlflow.stop();
  collector.closeAllConnections();
  await new Promise((r) => collector.close(r));
});

/** Where both processes send traces. */
type Destination = { kind: "sqlite"; uri: string } | { kind: "mlflow"; uri: string } | { kind: "otlp"; url: string };

const CONFIGURE = `
const dest = JSON.parse(process.env.TW_DEST);
if (dest.kind === "otlp") tw.setTraceStore(new tw.OtlpTraceExporter({ protocol: "http/protobuf", url: dest.url }));
else tw.setTrackingUri(dest.uri);
`;

function configureHere(dest: Destination): void {
  if (dest.kind === "otlp") tw.setTraceStore(new OtlpTraceExporter({ protocol: "http/protobuf", url: dest.url }));
  else tw.setTrackingUri(dest.uri);
}

/** Runs `script` in a child process with core's build as `tw`; `onLine` sees its stdout lines. */
function child(script: string, dest: Destination, env: Record<string, string>, onLine: (line: string) => void) {
  const source = `import * as tw from ${JSON.stringify(distEntry)};
import { callTool, startToolService } from ${JSON.stringify(rolesModule)};
${CONFIGURE}
${script}`;
  const proc = spawn(process.execPath, ["--input-type=module", "-e", source], {
    env: {
      ...process.env,
      TRACEWRIGHT_LOG_LEVEL: "warn",
      TRACEWRIGHT_SPOOL_DIR: tmp("tw-spool-child-"),
      TW_DEST: JSON.stringify(dest),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let buffered = "";
  proc.stdout.on("data", (d: Buffer) => {
    buffered += d;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  });
  proc.stderr.on("data", (d: Buffer) => {
    stderr += d;
  });
  const exited = new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      fail(new Error(`child timed out; stderr: ${stderr}`));
    }, 20_000);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) ok();
      else fail(new Error(`child exited with ${code}; stderr: ${stderr}`));
    });
  });
  return { exited };
}

/** This process calls the tool service of a child process. */
async function thisProcessCalls(dest: Destination): Promise<string> {
  configureHere(dest);
  let resolveUrl: (url: string) => void = () => undefined;
  const url = new Promise<string>((r) => {
    resolveUrl = r;
  });
  const { exited } = child(
    `const service = await startToolService(tw, () => service.close().then(() => process.exit(0)));
console.log("URL " + service.url);`,
    dest,
    {},
    (line) => {
      if (line.startsWith("URL ")) resolveUrl(line.slice(4));
    },
  );
  const serviceUrl = await url;
  const traceId = (await callTool(tw, serviceUrl)) as string;
  await tw.flushTraces();
  await fetch(`${serviceUrl}/exit`);
  await exited;
  return traceId;
}

/** A child process calls this process's tool service. */
async function childCalls(dest: Destination): Promise<string> {
  configureHere(dest);
  const service = (await startToolService(tw)) as { url: string; close(): Promise<void> };
  let traceId = "";
  const { exited } = child(
    `const id = await callTool(tw, process.env.TW_URL);
await tw.flushTraces();
console.log("TRACE " + id);`,
    dest,
    { TW_URL: service.url },
    (line) => {
      if (line.startsWith("TRACE ")) traceId = line.slice(6);
    },
  );
  await exited;
  await tw.flushTraces();
  await service.close();
  return traceId;
}

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The one trace both processes made: four spans of the caller and two of the callee, linked. */
function expectOneLinkedTrace(t: Trace, traceId: string): void {
  expect(t.info.traceId).toBe(traceId);
  const byName = new Map(t.data.spans.map((s) => [s.name, s]));
  expect([...byName.keys()].sort()).toEqual(["agent", "call-tool", "plan", "tool-service", "tool-step"]);
  for (const s of t.data.spans) expect(s.traceId).toBe(traceId);
  expect(byName.get("agent")!.parentId).toBeNull();
  expect(byName.get("call-tool")!.parentId).toBe(byName.get("agent")!.spanId);
  expect(byName.get("tool-service")!.parentId).toBe(byName.get("call-tool")!.spanId);
  expect(byName.get("tool-step")!.parentId).toBe(byName.get("tool-service")!.spanId);
  expect(t.data.rootSpan?.name).toBe("agent");
}

const directions = [
  ["this process calls a child", thisProcessCalls],
  ["a child calls this process", childCalls],
] as const;

describe("the embedded store: two processes writing one database", () => {
  for (const [label, run] of directions) {
    it(`${label}: one trace; trace info from the caller's root, spanning both parts`, async () => {
      const path = join(tmp("tw-dist-sqlite-"), "traces.db");
      const traceId = await run({ kind: "sqlite", uri: `sqlite:${path}` });
      const store = new SqliteTraceStore(path);
      try {
        expect(store.searchTraces({ experimentIds: ["0"] }).traces).toHaveLength(1);
        const t = store.getTrace(traceId)!;
        expectOneLinkedTrace(t, traceId);
        const agent = t.data.spans.find((s) => s.name === "agent")!;
        const step = t.data.spans.find((s) => s.name === "tool-step")!;
        expect(t.info.tags["mlflow.traceName"]).toBe("agent");
        expect(t.info.state).toBe("OK");
        expect(t.info.requestTime).toBe(Math.floor(agent.startTimeNs / 1e6));
        expect(t.info.requestTime + (t.info.executionDuration ?? 0)).toBeGreaterThanOrEqual(
          Math.floor((step.endTimeNs as number) / 1e6),
        );
        expect(t.info.traceMetadata["mlflow.traceInputs"]).toContain("what does the tool say?");
        expect(t.info.requestPreview).toContain("what does the tool say?");
        // both processes' token usage: plan 2 + tool-step 5
        expect(t.info.tokenUsage).toEqual({ input_tokens: 4, output_tokens: 3, total_tokens: 7 });
      } finally {
        store.close();
      }
    });
  }
});

describe("an MLflow tracking server: each process delivers its own spans", () => {
  for (const [label, run] of directions) {
    it(`${label}: the server holds one trace with every span; the caller alone logs the trace info`, async () => {
      const traceId = await run({ kind: "mlflow", uri: mlflow.url });
      const spans = await until(
        () => (mlflow.storedSpans.get(traceId) ?? []).length,
        (n) => n === 5,
      );
      expect(spans).toBe(5);
      const starts = mlflow.requests.filter(
        (r) => r.method === "POST" && r.path === "/api/3.0/mlflow/traces" && r.body.includes(traceId),
      );
      expect(starts).toHaveLength(1); // the callee adds spans, it does not log a second trace info
      const t = (await new MlflowTraceStore({ baseUrl: mlflow.url }).getTrace(traceId))!;
      expectOneLinkedTrace(t, traceId);
      expect(t.info.tags["mlflow.traceName"]).toBe("agent");
    });
  }
});

describe("an OTLP collector", () => {
  for (const [label, run] of directions) {
    it(`${label}: every span carries the one trace id and its parent's span id`, async () => {
      collected.length = 0;
      const traceId = await run({ kind: "otlp", url: collectorUrl });
      const spans = await until(
        () => collected.filter((s) => `tr-${s.traceId}` === traceId),
        (s) => s.length === 5,
      );
      const byName = new Map(spans.map((s) => [s.name, s]));
      expect([...byName.keys()].sort()).toEqual(["agent", "call-tool", "plan", "tool-service", "tool-step"]);
      expect(byName.get("agent")!.parentSpanId).toBeUndefined();
      expect(byName.get("tool-service")!.parentSpanId).toBe(byName.get("call-tool")!.spanId);
      expect(byName.get("tool-step")!.parentSpanId).toBe(byName.get("tool-service")!.spanId);
    });
  }
});
