/**
 * Fault injection for remote destinations: every trace delivered once, in order, through
 * outages, 5xx, 429 with Retry-After, slow responses, connection resets and a killed process.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { flushTraces, getExportStats, setTraceStore } from "../src/index.js";
import { MlflowTraceStore, ReliableRemoteStore } from "../src/stores.js";
import { logTraces, startTraceIds, until } from "./delivery-helpers.js";
import { FakeMlflowServer } from "./fake-mlflow-server.js";

const server = new FakeMlflowServer();
// delivery of the StartTraceV3 + traces.json flow: a server without OTLP ingest (MLflow < 3.4)
server.version = "3.3.2";
server.otlpSupported = false;
beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await server.stop();
});
afterEach(async () => {
  await flushTraces();
  setTraceStore(null);
  server.down = false;
  server.faults.length = 0;
});

function reliableStore(options: { timeoutMs?: number; maxSpoolTraces?: number } = {}) {
  const spoolDir = mkdtempSync(join(tmpdir(), "tw-spool-"));
  const store = new ReliableRemoteStore(
    new MlflowTraceStore({ baseUrl: server.url, timeoutMs: options.timeoutMs ?? 2000 }),
    server.url,
    {
      spoolDir,
      baseDelayMs: 20,
      maxDelayMs: 200,
      ...(options.maxSpoolTraces ? { maxSpoolTraces: options.maxSpoolTraces } : {}),
    },
  );
  setTraceStore(store);
  return { store, spoolDir };
}

describe("delivery to an MLflow server that fails", () => {
  it("spools through a whole outage and delivers everything, in order, once it is back", async () => {
    const { store } = reliableStore();
    server.down = true;
    const before = getExportStats();
    const started = Date.now();
    const ids = logTraces(["a", "b", "c"]);
    expect(Date.now() - started).toBeLessThan(200); // the calls never wait on the outage
    await flushTraces();
    expect(store.pending()).toBe(3);
    expect(getExportStats().retried).toBeGreaterThan(before.retried);
    server.down = false;
    await until(() => store.pending() === 0);
    const delivered = startTraceIds(server).filter((id) => ids.includes(id));
    expect(delivered).toEqual(ids);
    expect(getExportStats().sent - before.sent).toBe(3);
  });

  it("retries 500s until the server recovers", async () => {
    const { store } = reliableStore();
    server.faults.push({ status: 500 }, { status: 503 });
    const [id] = logTraces(["flaky"]);
    await flushTraces();
    await until(() => store.pending() === 0);
    expect(startTraceIds(server).filter((x) => x === id)).toHaveLength(3);
    expect(server.infos.has(id!)).toBe(true);
  });

  it("honours Retry-After on 429", async () => {
    const { store } = reliableStore();
    server.faults.push({
      status: 429,
      headers: { "retry-after": "1" },
      body: { error_code: "REQUEST_LIMIT_EXCEEDED", message: "slow down" },
    });
    const [id] = logTraces(["rate-limited"]);
    await flushTraces();
    await until(() => store.pending() === 0, 5000);
    const attempts = server.requests.filter((r) => r.path === "/api/3.0/mlflow/traces" && r.body.includes(id!));
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("times out a slow response and delivers on retry", async () => {
    const { store } = reliableStore({ timeoutMs: 300 });
    server.faults.push({ delayMs: 2000 });
    const [id] = logTraces(["slow"]);
    await flushTraces();
    await until(() => store.pending() === 0);
    expect(server.infos.has(id!)).toBe(true);
  });

  it("survives a connection reset mid-request", async () => {
    const { store } = reliableStore();
    server.faults.push({ reset: true });
    const [id] = logTraces(["reset"]);
    await flushTraces();
    await until(() => store.pending() === 0);
    expect(server.infos.has(id!)).toBe(true);
  });

  it("does not retry a 4xx refusal: drops the trace with the server's message, counted", async () => {
    const { store } = reliableStore();
    server.faults.push({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: "bad trace" } });
    const before = getExportStats().dropped;
    const [id] = logTraces(["refused"]);
    await flushTraces();
    expect(store.pending()).toBe(0);
    expect(getExportStats().dropped).toBe(before + 1);
    expect(startTraceIds(server).filter((x) => x === id)).toHaveLength(1);
    expect(server.infos.has(id!)).toBe(false);
  });

  it("bounds the spool and counts what it drops", async () => {
    const { store } = reliableStore({ maxSpoolTraces: 2 });
    server.down = true;
    const before = getExportStats().dropped;
    logTraces(["1", "2", "3", "4"]);
    await flushTraces();
    expect(store.pending()).toBe(2);
    expect(getExportStats().dropped).toBe(before + 2);
  });

  it("delivers traces spooled by a process that was killed, exactly once, after a restart", async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), "tw-spool-"));
    server.down = true;
    const dist = join(fileURLToPath(new URL(".", import.meta.url)), "..", "dist", "index.js");
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as core from ${JSON.stringify(dist)}; import * as stores from ${JSON.stringify(dist.replace(/index\.js$/, "stores.js"))}; const tw = { ...core, ...stores };
         tw.setTraceStore(new tw.ReliableRemoteStore(new tw.MlflowTraceStore({ baseUrl: ${JSON.stringify(server.url)} }), "x", { spoolDir: ${JSON.stringify(spoolDir)} }));
         const c = new tw.TracewrightClient();
         const ids = [];
         for (let i = 0; i < 5; i++) { const r = c.startTrace("killed-" + i); c.endTrace({ traceId: r.traceId }); ids.push(r.traceId); }
         await tw.flushTraces();
         console.log(JSON.stringify(ids));
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const ids = await new Promise<string[]>((resolve) => {
      child.stdout.on("data", (d) => resolve(JSON.parse(String(d)) as string[]));
    });
    child.kill("SIGKILL");
    server.down = false;
    // a new process with the same spool delivers what the killed one left behind
    const restarted = new ReliableRemoteStore(new MlflowTraceStore({ baseUrl: server.url }), "x", { spoolDir });
    await until(() => restarted.pending() === 0);
    const delivered = startTraceIds(server).filter((id) => ids.includes(id));
    expect(delivered).toEqual(ids);
    await restarted.close();
  });
});

describe("traces finished while a delivery is running", () => {
  it("are sent by the same flush, not left in the spool", async () => {
    const { store } = reliableStore();
    server.faults.push({ delayMs: 150 }); // the first batch is slow to deliver
    const first = logTraces(["first"]);
    await new Promise((r) => setTimeout(r, 20)); // its delivery is under way
    const second = logTraces(["second"]);
    await flushTraces();
    expect(store.pending()).toBe(0);
    expect(startTraceIds(server).filter((id) => [...first, ...second].includes(id))).toEqual([...first, ...second]);
  });
});
