import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConfigurationError,
  endRun,
  getTrace,
  getTraceStore,
  getTrackingUri,
  SqliteTraceStore,
  StoreClosedError,
  searchTraces,
  setExperiment,
  setTraceStore,
  setTrackingUri,
  startRun,
  TracewrightClient,
  trace,
  withSpan,
} from "../src/index.js";
import { sqlitePathFromUri } from "../src/store/sqlite/uri.js";
import { numberedTrace, PART_TRACE_HEX, tracePart } from "./numbered-trace.js";

const distEntry = join(fileURLToPath(new URL(".", import.meta.url)), "..", "dist", "index.js");
const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-sqlite-")), "traces.db");

afterEach(() => {
  setTraceStore(null);
});

describe("sqlite tracking URIs", () => {
  it.each([
    ["sqlite:///tmp/abs/traces.db", "/tmp/abs/traces.db"],
    ["sqlite:relative/traces.db", resolve("relative/traces.db")],
    ["sqlite:./x.db", resolve("x.db")],
    ["sqlite://rel.db", resolve("rel.db")],
    ["sqlite::memory:", ":memory:"],
  ])("maps %s to %s", (uri, path) => {
    expect(sqlitePathFromUri(uri)).toBe(path);
  });

  it("rejects URIs with no file and unknown schemes", () => {
    expect(() => sqlitePathFromUri("sqlite:")).toThrow(/names no file/);
    expect(() => setTrackingUri("no-scheme-here")).toThrow(ConfigurationError);
  });

  it("defaults to the embedded store in .tracewright/traces.db", () => {
    const saved = { t: process.env.TRACEWRIGHT_TRACKING_URI, m: process.env.MLFLOW_TRACKING_URI };
    delete process.env.TRACEWRIGHT_TRACKING_URI;
    delete process.env.MLFLOW_TRACKING_URI;
    try {
      expect(getTrackingUri()).toBe("sqlite:.tracewright/traces.db");
      process.env.MLFLOW_TRACKING_URI = "sqlite:///tmp/from-mlflow-env.db";
      expect(getTrackingUri()).toBe("sqlite:///tmp/from-mlflow-env.db");
      process.env.TRACEWRIGHT_TRACKING_URI = "memory:";
      expect(getTrackingUri()).toBe("memory:");
    } finally {
      if (saved.t === undefined) delete process.env.TRACEWRIGHT_TRACKING_URI;
      else process.env.TRACEWRIGHT_TRACKING_URI = saved.t;
      if (saved.m === undefined) delete process.env.MLFLOW_TRACKING_URI;
      else process.env.MLFLOW_TRACKING_URI = saved.m;
    }
  });
});

describe("the embedded store end to end", () => {
  it("stores traces from the fluent API and reads them back with the fluent search", async () => {
    const path = tempDb();
    setTrackingUri(`sqlite://${path}`);
    expect(getTraceStore()).toBeInstanceOf(SqliteTraceStore);
    const exp = await setExperiment("sqlite-e2e");
    withSpan({ name: "span1" }, (span) => {
      span.setInputs({ a: 1, b: 2 });
      span.setOutputs({ c: 3, d: 4 });
    });
    const rows = await searchTraces({ extractFields: ["span1.inputs", "span1.outputs.c", "missing.outputs"] });
    expect(rows).toHaveLength(1);
    expect(rows[0]!["span1.inputs"]).toEqual({ a: 1, b: 2 });
    expect(rows[0]!["span1.outputs.c"]).toBe(3);
    expect(rows[0]!["missing.outputs"]).toBeNull();
    expect(rows[0]!.trace.info.experimentId).toBe(exp.experimentId);
    await expect(searchTraces({ extractFields: ["no-kind"] })).rejects.toThrow(/Invalid extract field/);
    await setExperiment({ experimentId: "0" });
  });

  it("associates traces with the active run and finds them by run id", async () => {
    setTrackingUri(`sqlite://${tempDb()}`);
    const run = await startRun({ runName: "eval" });
    trace(() => "in run", { name: "Run Span" })();
    await endRun();
    trace(() => "outside", { name: "Other Span" })();
    const client = new TracewrightClient();
    const page = await client.searchTraces({ runId: run.runId });
    expect(page.traces.map((t) => t.info.tags["mlflow.traceName"])).toEqual(["Run Span"]);
    expect(page.traces[0]!.info.traceMetadata["mlflow.sourceRun"]).toBe(run.runId);
    const byFilter = await client.searchTraces({ filterString: `run_id = '${run.runId}'` });
    expect(byFilter.traces).toHaveLength(1);
  });

  it("validates deleteTraces arguments and deletes through the client", async () => {
    setTrackingUri(`sqlite://${tempDb()}`);
    const client = new TracewrightClient();
    for (let i = 0; i < 3; i++) trace(() => i, { name: `t${i}` })();
    await expect(client.deleteTraces({ experimentId: "0" })).rejects.toThrow(/exactly one of/);
    await expect(client.deleteTraces({ experimentId: "0", traceIds: [], maxTimestampMillis: 1 })).rejects.toThrow(
      /exactly one of/,
    );
    await expect(client.deleteTraces({ experimentId: "0", traceIds: ["x"], maxTraces: 1 })).rejects.toThrow(
      /maxTraces/,
    );
    expect(await client.deleteTraces({ experimentId: "0", maxTimestampMillis: Date.now(), maxTraces: 2 })).toBe(2);
    expect((await client.searchTraces()).traces).toHaveLength(1);
  });

  it("tags traces while running and after they are stored", async () => {
    setTrackingUri(`sqlite://${tempDb()}`);
    const client = new TracewrightClient();
    const root = client.startTrace("tagged");
    await client.setTraceTag(root.traceId, "while", "running");
    client.endTrace({ traceId: root.traceId });
    await client.setTraceTag(root.traceId, "after", "stored");
    await client.deleteTraceTag(root.traceId, "while");
    const t = await client.getTrace(root.traceId);
    expect(t.info.tags).toMatchObject({ after: "stored" });
    expect(t.info.tags.while).toBeUndefined();
    await expect(client.getTrace("tr-0000")).rejects.toThrow(/not found/);
    expect(await getTrace("tr-0000")).toBeNull();
  });

  it("migrates once and refuses a database from a newer version", () => {
    const path = tempDb();
    new SqliteTraceStore(path).close();
    const again = new SqliteTraceStore(path);
    expect(again.countTraces()).toBe(0);
    again.close();
    const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite");
    const db = new DatabaseSync(path);
    expect((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    db.exec("PRAGMA user_version = 99");
    db.close();
    expect(() => new SqliteTraceStore(path)).toThrow(/schema version 99, newer than this Tracewright supports/);
  });

  it("adds up several parts of one distributed trace that arrive in one batch, on the writer thread and inline", async () => {
    // a server's requests of one caller's trace: each its own part, under the caller's span
    const part = tracePart;
    const hex = PART_TRACE_HEX;
    for (const path of [tempDb(), ":memory:"]) {
      const store = new SqliteTraceStore(path);
      await store.logTraces([part(1), part(2), part(3), part(4)]);
      // and a fifth later, onto the four stored
      await store.logTraces([part(5)]);
      const names = store.getTrace(`tr-${hex}`)?.data.spans.map((s) => s.name);
      expect(names, path).toEqual(["request-1", "request-2", "request-3", "request-4", "request-5"]);
      store.close();
    }
  });

  it("refuses every call after close() with a StoreClosedError naming the file, and keeps what was written", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    const first = numberedTrace(1, { idTimeMs: 1_700_000_000_000 });
    await store.logTraces([first]);
    store.close();
    store.close(); // idempotent
    const calls: Array<[string, () => unknown]> = [
      ["logTraces", () => store.logTraces([numberedTrace(2)])],
      ["logTracesSync", () => store.logTracesSync([numberedTrace(3)])],
      ["getTrace", () => store.getTrace(first.info.traceId)],
      ["searchTraces", () => store.searchTraces({ experimentIds: ["0"] })],
      ["countTraces", () => store.countTraces()],
      ["setTraceTag", () => store.setTraceTag(first.info.traceId, "k", "v")],
      ["createExperiment", () => store.createExperiment("after-close")],
    ];
    for (const [name, call] of calls) {
      let thrown: unknown;
      try {
        call();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, name).toBeInstanceOf(StoreClosedError);
      expect((thrown as StoreClosedError).message).toContain(`SqliteTraceStore.${name}`);
      expect((thrown as StoreClosedError).location).toBe(path);
    }
    // nothing was handed to a writer thread after close(): the file holds the first trace only
    await new Promise((r) => setTimeout(r, 100));
    const again = new SqliteTraceStore(path);
    expect(again.countTraces()).toBe(1);
    expect(again.getTrace(first.info.traceId)).not.toBeNull();
    expect(() => again.createExperiment("after-close")).not.toThrow();
    again.close();
  });

  it("saves queued traces when the process exits right after tracing", async () => {
    const path = tempDb();
    await runChild(
      `tw.setTrackingUri(${JSON.stringify(`sqlite://${path}`)}); tw.trace(() => 1, { name: "x" })(); process.exit(0);`,
    );
    const store = new SqliteTraceStore(path);
    expect(store.countTraces()).toBe(1);
    store.close();
  });
});

function runChild(body: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", `import * as tw from ${JSON.stringify(distEntry)};\n${body}`],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.on("exit", (code) => (code === 0 ? resolvePromise() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe("several processes writing one database", () => {
  it("loses and corrupts nothing", async () => {
    const path = tempDb();
    const writer = (tag: string) => `
tw.setTrackingUri(${JSON.stringify(`sqlite://${path}`)});
const child = tw.trace((i) => i * 2, { name: "child" });
for (let i = 0; i < 300; i++) {
  tw.withSpan({ name: "${tag}-" + i }, () => { child(i); child(i + 1); });
  if (i % 25 === 0) await new Promise((r) => setTimeout(r, 1));
}
await tw.flushTraces();
if (tw.getExportStats().failed > 0) { console.error("failed writes"); process.exit(3); }`;
    await Promise.all([runChild(writer("a")), runChild(writer("b")), runChild(writer("c"))]);
    const store = new SqliteTraceStore(path);
    expect(store.countTraces()).toBe(900);
    const page = store.searchTraces({ filterString: "name LIKE 'b-%'", maxResults: 1000 });
    expect(page.traces).toHaveLength(300);
    expect(page.traces.every((t) => t.data.spans.length === 3)).toBe(true);
    const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite");
    const db = new DatabaseSync(path);
    expect(db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
    store.close();
  });
});

describe("SIGTERM", () => {
  it("saves queued traces and still terminates the process", async () => {
    const path = tempDb();
    const { spawn: spawnChild } = await import("node:child_process");
    const child = spawnChild(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as tw from ${JSON.stringify(distEntry)};
         tw.setTrackingUri(${JSON.stringify(`sqlite://${path}`)});
         tw.trace(() => 1, { name: "before-sigterm" })();
         process.kill(process.pid, "SIGTERM");
         setInterval(() => {}, 1000);`,
      ],
      { stdio: "ignore" },
    );
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, sig) => resolve(sig)),
    );
    expect(signal).toBe("SIGTERM");
    const store = new SqliteTraceStore(path);
    expect(store.countTraces()).toBe(1);
    store.close();
  });
});
