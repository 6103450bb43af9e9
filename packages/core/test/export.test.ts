import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  enableAsyncLogging,
  flushTraces,
  getExportStats,
  InMemoryTraceStore,
  SqliteTraceStore,
  setExportQueueLimits,
  setTraceStore,
  type Trace,
  type TraceStore,
  trace,
} from "../src/index.js";
import { useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

describe("export queue", () => {
  it("hands finished traces to the store in the background, never on the call path", async () => {
    trace(() => 1, { name: "bg" })();
    expect(store().allTraces()).toHaveLength(0);
    await flushTraces();
    expect(store().allTraces()).toHaveLength(1);
  });

  it("gathers the traces that finish within a few milliseconds into one batch for the store", async () => {
    const batches: number[] = [];
    const counting = new (class extends InMemoryTraceStore {
      override logTraces(traces: Trace[]): void {
        batches.push(traces.length);
        super.logTraces(traces);
      }
    })();
    setTraceStore(counting);
    try {
      // each in its own turn of the event loop: a drain per turn handed them over one by one
      const step = trace(() => 1, { name: "turn" });
      for (let i = 0; i < 20; i++) {
        step();
        await new Promise((r) => setImmediate(r));
      }
      await flushTraces();
      expect(batches.reduce((a, b) => a + b, 0)).toBe(20);
      expect(batches.length).toBeLessThanOrEqual(10);
    } finally {
      setTraceStore(store());
    }
  });

  it("hands traces over as it goes in a loop that never yields to the event loop: none dropped at the queue's bound", async () => {
    setExportQueueLimits({ maxTraces: 100 });
    try {
      const before = getExportStats().dropped;
      const step = trace(async (i: number) => i, { name: "microtasks" });
      // awaits on promises only: no timer, immediate or I/O callback runs until the loop ends
      for (let i = 0; i < 1000; i++) await step(i);
      expect(store().allTraces().length).toBeGreaterThanOrEqual(950);
      expect(getExportStats().dropped - before).toBe(0);
      await flushTraces();
      expect(store().allTraces()).toHaveLength(1000);
    } finally {
      setExportQueueLimits({ maxTraces: 10_000 });
    }
  });

  it("hands the traces that finished before the destination changed to the old destination", async () => {
    const a = new InMemoryTraceStore();
    const b = new InMemoryTraceStore();
    setTraceStore(a);
    try {
      trace(() => 1, { name: "before-switch" })();
      // a few event-loop turns, well within the gather window
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 1));
      setTraceStore(b);
      trace(() => 2, { name: "after-switch" })();
      await flushTraces();
      const names = (s: InMemoryTraceStore) => s.allTraces().map((t) => t.info.tags["mlflow.traceName"]);
      expect(names(a)).toEqual(["before-switch"]);
      expect(names(b)).toEqual(["after-switch"]);
    } finally {
      setTraceStore(store());
    }
  });

  it("writes immediately when async logging is off", () => {
    enableAsyncLogging(false);
    trace(() => 1, { name: "sync" })();
    expect(
      store()
        .allTraces()
        .map((t) => t.info.tags["mlflow.traceName"]),
    ).toEqual(["sync"]);
  });

  it("keeps the user's call working when the store fails, and counts the failure", async () => {
    const failing = new InMemoryTraceStore();
    failing.logTraces = () => {
      throw new Error("disk full");
    };
    setTraceStore(failing);
    const before = getExportStats().failed;
    expect(trace(() => "still works", { name: "x" })()).toBe("still works");
    await flushTraces();
    expect(getExportStats().failed).toBe(before + 1);
  });

  it("waits for a slow asynchronous store in flushTraces", async () => {
    const written: Trace[] = [];
    const slow = new InMemoryTraceStore();
    (slow as unknown as TraceStore).logTraces = (traces: Trace[]) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          written.push(...traces);
          resolve();
        }, 30),
      );
    setTraceStore(slow);
    trace(() => 1, { name: "slow" })();
    await flushTraces();
    expect(written).toHaveLength(1);
  });

  it("returns from flushTraces after timeoutMs even if the store hangs", async () => {
    let release: () => void = () => undefined;
    const hanging = new InMemoryTraceStore();
    (hanging as unknown as TraceStore).logTraces = () => new Promise<void>((resolve) => (release = resolve));
    setTraceStore(hanging);
    trace(() => 1, { name: "hang" })();
    const start = Date.now();
    await flushTraces({ timeoutMs: 50 });
    expect(Date.now() - start).toBeLessThan(1000);
    expect(getExportStats().queued).toBe(0);
    release();
    await flushTraces();
  });
});

describe("payload safety", () => {
  it("records circular, BigInt, Map, Set and Error payloads without throwing", async () => {
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    const f = trace(function payloads(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) {
      return { a, b, c, d, e };
    });
    const out = f(circular, 10n, new Map([["k", 1]]), new Set([1, 2]), new Error("inner"));
    expect(out.a).toBe(circular);
    await flushTraces();
    const span = store().allTraces()[0]!.data.spans[0]!;
    expect(span.inputs).toEqual({
      a: { name: "loop", self: "[Circular]" },
      b: "10",
      c: { k: 1 },
      d: [1, 2],
      e: { type: "Error", message: "inner" },
    });
  });

  it("truncates giant strings instead of holding them", async () => {
    const huge = "x".repeat(3_000_000);
    trace((s: string) => s.length, { name: "huge" })(huge);
    await flushTraces();
    const inputs = store().allTraces()[0]!.data.spans[0]!.inputs as { s: string };
    expect(inputs.s.length).toBeLessThan(1_100_000);
    expect(inputs.s).toMatch(/\[truncated 2000000 chars\]$/);
  });
});

const here = fileURLToPath(new URL(".", import.meta.url));
const distEntry = join(here, "..", "dist", "index.js");

function runChild(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-exit-"));
  const out = join(dir, "out.json");
  const file = join(dir, "child.mjs");
  const source = `
import * as tw from ${JSON.stringify(distEntry)};
import { writeFileSync } from "node:fs";
const OUT = ${JSON.stringify(out)};
${script}`;
  execFileSync(process.execPath, ["--input-type=module", "-e", source], { stdio: "pipe" });
  void file;
  return readFileSync(out, "utf8");
}

describe("tracing before a destination is configured", () => {
  it("sends traces made before setTrackingUri (an app's startup) to the URI set next, making no default store for them", () => {
    const cwd = mkdtempSync(join(tmpdir(), "tw-startup-"));
    const db = join(cwd, "configured.db");
    execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as tw from ${JSON.stringify(distEntry)};
tw.trace(() => 1, { name: "at-startup" })();
await new Promise((r) => setImmediate(r));
tw.setTrackingUri(${JSON.stringify(`sqlite://${db}`)});
await tw.flushTraces();`,
      ],
      { cwd, stdio: "pipe", env: { ...process.env, TRACEWRIGHT_TRACKING_URI: "", MLFLOW_TRACKING_URI: "" } },
    );
    expect(readdirSync(cwd)).not.toContain(".tracewright");
    const configured = new SqliteTraceStore(db);
    try {
      expect(configured.countTraces()).toBe(1);
    } finally {
      configured.close();
    }
  });
});

describe("nothing lost on exit", () => {
  it("writes queued traces synchronously when the process calls process.exit()", () => {
    const out = runChild(`
class FileStore extends tw.InMemoryTraceStore {
  logTraces() { return new Promise(() => {}); }          // async path never completes
  logTracesSync(traces) { writeFileSync(OUT, JSON.stringify(traces.map((t) => t.info.traceId))); }
}
tw.setTraceStore(new FileStore());
tw.trace(() => 1, { name: "before-exit" })();
process.exit(0);
`);
    expect(JSON.parse(out)).toHaveLength(1);
  });

  it("flushes an asynchronous store before a normal exit", () => {
    const out = runChild(`
class SlowStore extends tw.InMemoryTraceStore {
  logTraces(traces) {
    return new Promise((r) => setTimeout(() => { writeFileSync(OUT, JSON.stringify(traces.length)); r(); }, 50));
  }
}
tw.setTraceStore(new SlowStore());
await tw.trace(async () => 1, { name: "natural-exit" })();
`);
    expect(JSON.parse(out)).toBe(1);
  });
});

describe("secrets in payloads", () => {
  it("redacts the values of secret-looking keys, such as an SDK client passed as an argument", async () => {
    class FakeClient {
      apiKey = "placeholder-secret-should-never-be-stored";
      baseURL = "https://api.example.com";
      _options = { defaultHeaders: { Authorization: "Bearer placeholder-secret-should-never-be-stored" } };
    }
    // biome-ignore lint/correctness/noUnusedFunctionParameters: the parameter names are what the trace records
    const call = trace(function call(client: FakeClient, settings: { password: string; user: string }) {
      return { ok: true, token: { access_token: "at-123", scope: "read" } };
    });
    call(new FakeClient(), { password: "hunter2", user: "alice" });
    await flushTraces();
    const t = store().allTraces()[0]!;
    const json = t.toJson();
    for (const secret of ["placeholder-secret-should-never-be-stored", "hunter2", "at-123"])
      expect(json).not.toContain(secret);
    const span = t.data.spans[0]!;
    expect(span.inputs).toMatchObject({
      client: {
        apiKey: "[REDACTED]",
        baseURL: "https://api.example.com",
        _options: { defaultHeaders: { Authorization: "[REDACTED]" } },
      },
      settings: { password: "[REDACTED]", user: "alice" },
    });
    expect(span.outputs).toEqual({ ok: true, token: { access_token: "[REDACTED]", scope: "read" } });
  });
});

describe("bounded export queue", () => {
  it("drops traces beyond the byte bound, counted, while the store is stalled", async () => {
    let release: () => void = () => undefined;
    const stalled = new InMemoryTraceStore();
    (stalled as unknown as TraceStore).logTraces = () => new Promise<void>((r) => (release = r));
    setTraceStore(stalled);
    setExportQueueLimits({ maxBytes: 20_000 });
    try {
      const before = getExportStats().dropped;
      const big = trace((s: string) => s.length, { name: "big" });
      for (let i = 0; i < 10; i++) big("x".repeat(5_000)); // ~5 KB each: only a few fit
      expect(getExportStats().queued).toBeLessThanOrEqual(4);
      expect(getExportStats().dropped - before).toBeGreaterThanOrEqual(6);
    } finally {
      setExportQueueLimits({ maxBytes: 64 * 1024 * 1024 });
      release();
      await flushTraces({ timeoutMs: 1000 });
      release();
      setTraceStore(store());
    }
  });
});
