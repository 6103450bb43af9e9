/**
 * The embedded store's writer thread: writes leave the app's thread, nothing handed over is lost
 * at any exit (child processes), a file another connection keeps locked delays the writes but
 * never loses them, a producer faster than the disk keeps memory bounded and has its overflow
 * counted, and a database of the first schema migrates with its traces, tags and
 * assessments.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConfigurationError,
  Feedback,
  flushTraces,
  getExportStats,
  SqliteTraceStore,
  setTraceStore,
  type Trace,
  trace,
} from "../src/index.js";
import { SCHEMA_VERSION } from "../src/store/sqlite/schema.js";
import { numberedTrace } from "./numbered-trace.js";

const distEntry = join(fileURLToPath(new URL(".", import.meta.url)), "..", "dist", "index.js");
const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-writer-")), "traces.db");

afterEach(() => {
  setTraceStore(null);
});

const countRows = (path: string): number => {
  const db = new DatabaseSync(path, { timeout: 10_000 });
  const n = Number((db.prepare("SELECT count(*) AS n FROM traces").get() as { n: number }).n);
  db.close();
  return n;
};

/** Runs an ES module body against the built package in a child process; resolves with its exit. */
function runChild(
  body: string,
  onLine?: (line: string) => void,
  nodeFlags: string[] = [],
  /** A child that hangs is killed (SIGKILL) after this long rather than left behind. */
  killAfterMs = 50_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      process.execPath,
      [...nodeFlags, "--input-type=module", "-e", `import * as tw from ${JSON.stringify(distEntry)};\n${body}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
      partial += String(d);
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) onLine?.(l);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

describe("the writer thread", () => {
  it("commits while the app's thread is busy: the SQLite work is not on it", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    const one = numberedTrace(1);
    const written = store.logTraces([one, numberedTrace(2)]);
    expect(written).toBeInstanceOf(Promise);
    // handed over, not written
    expect(countRows(path)).toBe(0);
    // the batch is posted to the thread 10 ms later (from a timer of this thread's)
    await new Promise((r) => setTimeout(r, 15));
    // the app's thread never yields here, so only another thread can have written the rows
    const deadline = Date.now() + 5000;
    let seen = 0;
    while (Date.now() < deadline && seen < 2) seen = countRows(path);
    expect(seen).toBe(2);
    await written;
    expect(store.getTrace(one.info.traceId)?.data.spans[0]?.name).toBe("root-1");
    store.close();
  });

  it("commits a batch that comes after a quiet spell at once, and then at most once per interval", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path, { commitIntervalMs: 3000 });
    const elapsed = async (traces: Trace[]): Promise<number> => {
      const t0 = performance.now();
      await store.logTraces(traces);
      return performance.now() - t0;
    };
    // (before: every batch waited the interval, and a second wake-up of the thread for it)
    expect(await elapsed([numberedTrace(1)])).toBeLessThan(2000);
    // right after a commit: gathered until the interval since that commit is over
    expect(await elapsed([numberedTrace(2)])).toBeGreaterThan(2000);
    expect(store.countTraces()).toBe(2);
    store.close();
  });

  it("under load, commits again as soon as a quarter of a full commit waits, not at the interval", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path, { commitIntervalMs: 60_000 });
    /** Traces of about 64 KB each. */
    const big = (from: number, n: number): Trace[] =>
      Array.from({ length: n }, (_, k) => {
        const t = numberedTrace(from + k);
        (t.data.spans[0]?.rawRecord().attributes as Record<string, string>)["mlflow.spanOutputs"] = JSON.stringify(
          "o".repeat(64_000),
        );
        return t;
      });
    const logAll = async (traces: Trace[]): Promise<void> => {
      // the store takes what fits, as the export queue would offer the rest again
      let rest = traces;
      while (rest.length > 0) {
        try {
          await store.logTraces(rest);
          rest = [];
        } catch (e) {
          const full = e as { rest?: Trace[]; accepted?: Promise<void> };
          // (a pause when it took nothing: retrying at once would spin on microtasks)
          await (full.accepted ?? new Promise((r) => setTimeout(r, 5)));
          rest = full.rest ?? rest;
        }
      }
    };
    // a burst of 4.5 MB: over half the ring, so the app's thread asks for a commit at once
    await logAll(big(0, 70));
    // 1.6 MB more, below half the ring: before, it waited for the 60 s interval
    const t0 = performance.now();
    const second = logAll(big(100, 25));
    const inTime = await Promise.race([
      second.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 10_000)),
    ]);
    expect(inTime).toBe(true);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(store.countTraces()).toBe(95);
    store.close();
  }, 30_000);

  it("flushTraces() means written: another connection sees every trace", async () => {
    const path = tempDb();
    const { code, stderr } = await runChild(`
      tw.setTrackingUri(${JSON.stringify(`sqlite://${path}`)});
      for (let i = 0; i < 500; i++) tw.trace(() => i, { name: "t" + i })();
      await tw.flushTraces();
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(${JSON.stringify(path)});
      const n = db.prepare("SELECT count(*) AS n FROM traces").get().n;
      if (n !== 500) { console.error("saw " + n); process.exit(3); }
      process.exit(0);`);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("exits keep what was handed to the writer thread", () => {
  // the traces are handed over (the queue drained on setImmediate) but not committed: the writer
  // waits up to its 100 ms batching interval, so each exit below happens with them in the thread
  const produce = (path: string) => `
    tw.setTrackingUri(${JSON.stringify(`sqlite://${path}`)});
    const step = tw.trace((i) => i * 2, { name: "step" });
    for (let i = 0; i < 3000; i++) tw.withSpan({ name: "root-" + i }, () => step(i));
    await new Promise((r) => setImmediate(r));
    if (tw.getExportStats().queued !== 0) { console.error("still queued"); process.exit(4); }`;

  it("process.exit()", async () => {
    const path = tempDb();
    const { code, stderr } = await runChild(`${produce(path)}\nprocess.exit(0);`);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(countRows(path)).toBe(3000);
  });

  it("SIGTERM, the process still ending by the signal", async () => {
    const path = tempDb();
    const { signal } = await runChild(
      `${produce(path)}\nprocess.kill(process.pid, "SIGTERM"); setInterval(() => {}, 1000);`,
    );
    expect(signal).toBe("SIGTERM");
    expect(countRows(path)).toBe(3000);
  });

  it("a natural exit without flushTraces()", async () => {
    const path = tempDb();
    const { code, stderr } = await runChild(produce(path));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(countRows(path)).toBe(3000);
  });

  it("an uncaught exception", async () => {
    const path = tempDb();
    const { code } = await runChild(`${produce(path)}\nthrow new Error("boom");`);
    expect(code).toBe(1);
    expect(countRows(path)).toBe(3000);
  });
});

describe("a producer faster than the disk", () => {
  it("keeps memory bounded, holds back what fits, and counts what overflows", async () => {
    const path = tempDb();
    new SqliteTraceStore(path).close();
    // another connection holds the write lock: the child's writer thread cannot commit at all, and
    // its 250 ms lock timeout passes many times during the burst (on a loaded machine the default
    // 10 s could pass too: then a batch reported failed was lost, 19,900 rows for 20,000 traces)
    const blocker = new DatabaseSync(path, { timeout: 10_000 });
    blocker.exec("BEGIN IMMEDIATE");
    const produced = 20_000;
    let released = false;
    const result = await runChild(
      `
      const store = new tw.SqliteTraceStore(${JSON.stringify(path)}, { maxPendingChars: 2_000_000, lockTimeoutMs: 250 });
      tw.setTraceStore(store);
      tw.setExportQueueLimits({ maxTraces: 2000 });
      const payload = "x".repeat(4096);
      const live = () => { gc(); return process.memoryUsage().heapUsed; };
      const heap0 = live();
      let peak = 0;
      for (let i = 0; i < ${produced}; i++) {
        tw.trace((p) => p.length, { name: "burst" })(payload + i);
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
        if (i % 2000 === 1999) peak = Math.max(peak, live() - heap0);
      }
      console.log(JSON.stringify({ phase: "produced", peak, stats: tw.getExportStats() }));
      await tw.flushTraces();
      console.log(JSON.stringify({ phase: "flushed", stats: tw.getExportStats() }));
      process.exit(0);`,
      (line) => {
        if (!released && line.includes('"produced"')) {
          released = true;
          blocker.exec("COMMIT");
        }
      },
      ["--expose-gc"],
    );
    if (!released) blocker.exec("COMMIT");
    blocker.close();
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const atBurst = lines.find((l) => l.phase === "produced");
    const atEnd = lines.find((l) => l.phase === "flushed");
    // 20,000 traces of 4 KiB inputs (kept twice: span inputs and trace metadata) are over 160 MB;
    // the hand-off (2 M characters) and the queue (2,000 traces, ~20 MB) bound the live heap
    expect(atBurst.peak).toBeLessThan(64 * 1024 * 1024);
    expect(atBurst.stats.queued).toBeLessThanOrEqual(2000);
    expect(atBurst.stats.overflowed).toBeGreaterThan(0);
    expect(atEnd.stats.dropped).toBe(atEnd.stats.overflowed);
    expect(atEnd.stats.failed).toBe(0);
    expect(result.stderr).toMatch(/writer thread is behind.*getExportStats\(\)\.overflowed/);
    // every trace is either stored or counted as overflowed
    expect(countRows(path) + atEnd.stats.overflowed).toBe(produced);
  }, 60_000);
});

describe("a file another connection keeps locked past the writer's lock timeout", () => {
  const lockedFile = () => {
    const path = tempDb();
    new SqliteTraceStore(path).close();
    const blocker = new DatabaseSync(path, { timeout: 10_000 });
    blocker.exec("BEGIN IMMEDIATE");
    return { path, blocker };
  };

  it("keeps the batches with the writer thread, flushTraces() does not call them written, and they are stored once it is released", async () => {
    const { path, blocker } = lockedFile();
    const store = new SqliteTraceStore(path, { lockTimeoutMs: 50 });
    setTraceStore(store);
    const before = getExportStats();
    const step = trace((n: number) => n * 2, { name: "locked" });
    for (let i = 0; i < 100; i++) step(i);
    // several 50 ms lock timeouts pass: the group transaction and each batch alone meet the lock
    await flushTraces({ timeoutMs: 800 });
    const held = getExportStats();
    expect(held.failed - before.failed).toBe(0);
    expect(held.exported - before.exported).toBe(0);
    expect(countRows(path)).toBe(0);
    blocker.exec("COMMIT");
    blocker.close();
    await flushTraces({ timeoutMs: 10_000 });
    expect(countRows(path)).toBe(100);
    const after = getExportStats();
    expect(after.exported - before.exported).toBe(100);
    expect(after.failed - before.failed).toBe(0);
    store.close();
  });

  it("process.exit() right after a flushTraces() that timed out: the exit drain stores them once the lock is released", async () => {
    const { path, blocker } = lockedFile();
    let released = false;
    const result = await runChild(
      `
      const store = new tw.SqliteTraceStore(${JSON.stringify(path)}, { lockTimeoutMs: 50 });
      tw.setTraceStore(store);
      const step = tw.trace((n) => n * 2, { name: "locked" });
      for (let i = 0; i < 100; i++) step(i);
      await tw.flushTraces({ timeoutMs: 500 });
      console.log(JSON.stringify({ phase: "exiting", stats: tw.getExportStats() }));
      process.exit(0);`,
      (line) => {
        // released while the child waits in its exit drain (up to the 2 s exit timeout)
        if (!released && line.includes('"exiting"')) {
          released = true;
          setTimeout(() => blocker.exec("COMMIT"), 300);
        }
      },
    );
    if (!released) blocker.exec("COMMIT");
    blocker.close();
    expect(result.code, result.stderr).toBe(0);
    const exiting = JSON.parse(result.stdout.trim().split("\n")[0] as string);
    expect(exiting.stats.failed).toBe(0);
    expect(exiting.stats.exported).toBe(0);
    expect(result.stderr).not.toMatch(/failed to store|could not save/);
    expect(countRows(path)).toBe(100);
  });
});

describe("the writer's options", () => {
  it("refuses a value that is not a whole number with a ConfigurationError naming the option", () => {
    const path = tempDb();
    expect(() => new SqliteTraceStore(path, { lockTimeoutMs: 1.5 })).toThrow(ConfigurationError);
    expect(() => new SqliteTraceStore(path, { lockTimeoutMs: -1 })).toThrow(/"lockTimeoutMs" must be a whole number/);
    expect(() => new SqliteTraceStore(path, { maxPendingChars: 0 })).toThrow(/"maxPendingChars"/);
    expect(() => new SqliteTraceStore(path, { maxPendingBytes: 2.5 })).toThrow(
      /"maxPendingBytes" must be a whole number/,
    );
    expect(() => new SqliteTraceStore(path, { commitIntervalMs: Number.NaN })).toThrow(/"commitIntervalMs".*NaN/);
    const store = new SqliteTraceStore(path, { lockTimeoutMs: 0, commitIntervalMs: 0, maxPendingChars: 1 });
    store.close();
  });
});

describe("a hand-off full of writes that are not the export queue's", () => {
  it("flushTraces() waits for them instead of spinning: the queue's held-back traces are stored, its timeout holds", async () => {
    const path = tempDb();
    // the store's logTraces called directly with a trace over the hand-off's limit (it goes
    // alone): the queue's traces are held back with nothing of the queue's in flight
    const result = await runChild(
      `
      const store = new tw.SqliteTraceStore(${JSON.stringify(path)}, { maxPendingChars: 1000 });
      tw.setTraceStore(store);
      const hex = (1).toString(16).padStart(32, "0");
      const spans = Array.from({ length: 50 }, (_, n) => tw.Span.fromDict({
        trace_id: hex, span_id: (n + 1).toString(16).padStart(16, "0"), parent_span_id: null, name: "imported",
        start_time_unix_nano: 1_700_000_000_000_000_000, end_time_unix_nano: 1_700_000_000_005_000_000,
        events: [], status: { code: "STATUS_CODE_OK", message: "" }, attributes: { "mlflow.spanType": '"CHAIN"' },
      }));
      const imported = [new tw.Trace(
        new tw.TraceInfo({ traceId: "tr-" + hex, experimentId: "0", requestTime: 1_700_000_000_000, executionDuration: 5, state: "OK", tags: {}, traceMetadata: {} }),
        new tw.TraceData(spans),
      )];
      const direct = store.logTraces(imported);
      const step = tw.trace((n) => n * 2, { name: "queued" });
      for (let i = 0; i < 20; i++) step(i);
      await new Promise((r) => setImmediate(r));
      const heldBack = tw.getExportStats().queued;
      const started = Date.now();
      await tw.flushTraces({ timeoutMs: 5000 });
      await direct;
      console.log(JSON.stringify({ heldBack, ms: Date.now() - started, stats: tw.getExportStats() }));
      process.exit(0);`,
      undefined,
      [],
      15_000,
    );
    expect(result.signal, "the child hung in flushTraces()").toBe(null);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim());
    expect(out.heldBack).toBe(20);
    expect(out.ms).toBeLessThan(5000);
    expect(out.stats.exported).toBe(20);
    expect(result.stderr).not.toMatch(/timed out/);
    expect(countRows(path)).toBe(21);
  }, 30_000);
});

/** The first schema, as Tracewright 0.1 created it. */
const SCHEMA_V1 = `
  CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, creation_time INTEGER NOT NULL);
  INSERT INTO experiments (experiment_id, name, creation_time) VALUES (0, 'Default', 0);
  CREATE TABLE runs (run_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, name TEXT, status TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER);
  CREATE TABLE traces (trace_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, client_request_id TEXT, request_time INTEGER NOT NULL,
    execution_duration INTEGER, state TEXT NOT NULL, request_preview TEXT, response_preview TEXT);
  CREATE INDEX traces_by_experiment_time ON traces (experiment_id, request_time DESC, trace_id);
  CREATE INDEX traces_by_time ON traces (request_time);
  CREATE TABLE trace_tags (trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (trace_id, key)) WITHOUT ROWID;
  CREATE INDEX trace_tags_by_key_value ON trace_tags (key, value);
  CREATE TABLE trace_metadata (trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (trace_id, key)) WITHOUT ROWID;
  CREATE INDEX trace_metadata_by_key_value ON trace_metadata (key, value);
  CREATE TABLE spans (trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE, span_id TEXT NOT NULL, position INTEGER NOT NULL,
    parent_span_id TEXT, name TEXT NOT NULL, span_type TEXT, status TEXT NOT NULL, start_time_ns INTEGER NOT NULL, end_time_ns INTEGER, content TEXT NOT NULL);
  CREATE INDEX spans_by_trace ON spans (trace_id, position);
  CREATE TABLE assessments (assessment_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE, span_id TEXT,
    name TEXT NOT NULL, kind TEXT NOT NULL, source_type TEXT NOT NULL, source_id TEXT NOT NULL, create_time INTEGER NOT NULL, valid INTEGER NOT NULL, content TEXT NOT NULL);
  CREATE INDEX assessments_by_trace ON assessments (trace_id, create_time);
  PRAGMA user_version = 1;`;

describe("migration from the first schema", () => {
  it("opens a v1 database, migrates it and keeps its traces, tags, metadata, spans and assessments", async () => {
    const path = tempDb();
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(SCHEMA_V1);
    const traces = [numberedTrace(1, { spans: 3 }), numberedTrace(2, { spans: 1 }), numberedTrace(3, { spans: 2 })];
    const feedback = new Feedback({ traceId: traces[0]!.info.traceId, name: "correct", value: true });
    // rows exactly as the v1 writer wrote them
    for (const t of traces) {
      const i = t.info;
      db.prepare("INSERT INTO traces VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
        i.traceId,
        i.experimentId,
        null,
        i.requestTime,
        i.executionDuration,
        i.state,
        "req",
        "resp",
      );
      for (const [k, v] of Object.entries(i.tags))
        db.prepare("INSERT INTO trace_tags VALUES (?, ?, ?)").run(i.traceId, k, v);
      for (const [k, v] of Object.entries(i.traceMetadata))
        db.prepare("INSERT INTO trace_metadata VALUES (?, ?, ?)").run(i.traceId, k, v);
      const insertSpan = db.prepare("INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (const [pos, s] of t.data.spans.entries()) {
        const row = [s.spanId, pos, s.parentId, s.name, s.spanType, s.status.statusCode, s.startTimeNs, s.endTimeNs];
        insertSpan.run(i.traceId, ...row, JSON.stringify(s.toDict()));
      }
    }
    db.prepare("INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
      feedback.assessmentId,
      feedback.traceId,
      null,
      feedback.name,
      feedback.type,
      feedback.source.sourceType,
      feedback.source.sourceId,
      feedback.createTime,
      1,
      JSON.stringify(feedback.toDict()),
    );
    db.close();

    const store = new SqliteTraceStore(path);
    const first = store.getTrace(traces[0]!.info.traceId);
    expect(first?.data.spans.map((s) => s.name)).toEqual(["root-1", "child-1", "child-2"]);
    expect(first?.info.tags).toEqual({ "mlflow.traceName": "root-1", env: "prod" });
    expect(first?.info.traceMetadata["mlflow.traceInputs"]).toBe(JSON.stringify({ n: 1 }));
    expect(first?.info.requestPreview).toBe("req");
    expect(first?.info.assessments.map((a) => [a.name, a.assessmentId])).toEqual([["correct", feedback.assessmentId]]);
    const prod = store.searchTraces({ experimentIds: ["0"], filterString: "tags.env = 'prod'" });
    expect(prod.traces.map((t) => t.info.traceId).sort()).toEqual(
      [traces[0]!.info.traceId, traces[2]!.info.traceId].sort(),
    );
    // the migrated file takes new traces and deletes cascade through the new keys
    await store.logTraces([numberedTrace(4, { spans: 2 })]);
    expect(store.countTraces()).toBe(4);
    expect(store.deleteTraces({ experimentId: "0", traceIds: [traces[0]!.info.traceId] })).toBe(1);
    store.close();

    const check = new DatabaseSync(path, { timeout: 10_000 });
    // upgraded through v2 to the current schema
    expect((check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
    expect(check.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    expect(check.prepare("PRAGMA foreign_key_check").all()).toEqual([]);
    expect((check.prepare("SELECT count(*) AS n FROM spans").get() as { n: number }).n).toBe(5);
    expect((check.prepare("SELECT count(*) AS n FROM assessments").get() as { n: number }).n).toBe(0);
    check.close();
  });
});

describe("tag filters, common and rare values", () => {
  it("find the same traces whether the value is tested trace by trace or looked up in the index", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    // 4,200 traces: env alternates (2,100 each, above the 2,000 that makes a value common),
    // and every 1,000th also carries a rare tag
    const traces = Array.from({ length: 4200 }, (_, n) => {
      const t = numberedTrace(n);
      if (n % 1000 === 7) t.info.tags.rare = "yes";
      return t;
    });
    await store.logTraces(traces);
    const expectIds = (filter: (t: Trace) => boolean) =>
      traces
        .filter(filter)
        .sort((a, b) => b.info.requestTime - a.info.requestTime)
        .map((t) => t.info.traceId);
    const search = (filterString: string, maxResults: number, pageToken?: string) =>
      store.searchTraces({
        experimentIds: ["0"],
        filterString,
        maxResults,
        includeSpans: false,
        ...(pageToken ? { pageToken } : {}),
      });
    const prod = search("tags.env = 'prod'", 100);
    expect(prod.traces.map((t) => t.info.traceId)).toEqual(expectIds((t) => t.info.tags.env === "prod").slice(0, 100));
    const second = search("tags.env = 'prod'", 100, prod.nextPageToken as string);
    expect(second.traces.map((t) => t.info.traceId)).toEqual(
      expectIds((t) => t.info.tags.env === "prod").slice(100, 200),
    );
    const rare = search("tags.rare = 'yes'", 100);
    expect(rare.traces.map((t) => t.info.traceId)).toEqual(expectIds((t) => t.info.tags.rare === "yes"));
    expect(rare.traces).toHaveLength(5);
    const both = search("tags.env = 'dev' AND tags.rare = 'yes'", 100);
    expect(both.traces.map((t) => t.info.traceId)).toEqual(
      expectIds((t) => t.info.tags.env === "dev" && t.info.tags.rare === "yes"),
    );
    expect(search("tags.env = 'nowhere'", 100).traces).toEqual([]);
    store.close();
  });
});
