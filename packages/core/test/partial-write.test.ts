/**
 * A trace SQLite refuses costs only itself. Before, the writer thread gave up on the whole frame
 * it came in (every trace of the batch, or of its 64 KiB part), and the export queue counted the
 * whole batch failed, the stored parts too (`Promise.all` over the parts).
 *
 * The bad trace: a request time that is not a number, which the `traces` table's NOT NULL refuses
 * (NaN binds as NULL). It is made so at the store's door, by a subclass: nothing in the app's own
 * path makes one, which is the point of a store that must survive the one that slips through.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  flushTraces,
  getExportStats,
  SqliteTraceStore,
  setTraceStore,
  type Trace,
  TracesNotStoredError,
  trace,
} from "../src/index.js";
import { numberedTrace } from "./numbered-trace.js";

afterEach(() => setTraceStore(null));

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-partial-")), "traces.db");

/** The embedded store, with the traces named "bad" made unstorable on their way in (both paths). */
class StoreWithABadTrace extends SqliteTraceStore {
  override logTraces(traces: Trace[]): void | Promise<void> {
    spoil(traces);
    return super.logTraces(traces);
  }

  override logTracesSync(traces: Trace[]): void {
    spoil(traces);
    super.logTracesSync(traces);
  }
}

function spoil(traces: Trace[]): void {
  for (const t of traces)
    if (t.info.tags["mlflow.traceName"] === "bad")
      (t.info as unknown as { requestTime: number }).requestTime = Number.NaN;
}

/** What `f` throws (undefined when it returns). */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** One id prefix for the file: the same `n` is the same trace id (a re-log). */
const idTimeMs = Date.now();
const makeTrace = (n: number, name: string, tags: Record<string, string> = {}): Trace =>
  numberedTrace(n, { name, tags, idTimeMs });

describe("a trace SQLite refuses", () => {
  it("through the export queue: a burst cut into parts loses that trace alone, and only it is counted failed", async () => {
    const store = new StoreWithABadTrace(tempDb(), { commitIntervalMs: 5 });
    setTraceStore(store);
    const before = getExportStats();
    const good = trace((s: string) => s.length, { name: "good" });
    const bad = trace((s: string) => s.length, { name: "bad" });
    // ~300 KB with no yield in between: one batch for the store, cut into frames of 64 KiB
    for (let i = 0; i < 300; i++) (i === 150 ? bad : good)(`${i}:`.padEnd(1000, "m"));
    await flushTraces();
    const after = getExportStats();
    expect(store.countTraces()).toBe(299);
    expect(after.failed - before.failed).toBe(1);
    expect(after.exported - before.exported).toBe(299);
    store.close();
  });

  it("in one frame: logTraces rejects with a TracesNotStoredError counting it, and the frame's other traces are stored", async () => {
    const store = new StoreWithABadTrace(tempDb(), { commitIntervalMs: 5 });
    const traces = [0, 1, 2, 3, 4].map((n) => makeTrace(n, n === 2 ? "bad" : `t${n}`));
    const error = await Promise.resolve(store.logTraces(traces)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TracesNotStoredError);
    expect((error as TracesNotStoredError).failedTraces).toBe(1);
    expect((error as Error).message).toMatch(
      /1 of 5 trace\(s\) not stored: NOT NULL constraint failed: traces\.request_time/,
    );
    expect(store.countTraces()).toBe(4);
    for (const n of [0, 1, 3, 4])
      expect(store.getTrace(traces[n]?.info.traceId as string)?.info.tags["mlflow.traceName"]).toBe(`t${n}`);
    store.close();
  });

  it("next to a re-logged trace in the same frame: the re-log still replaces the stored one", async () => {
    const store = new StoreWithABadTrace(tempDb(), { commitIntervalMs: 5 });
    const first = makeTrace(0, "again", { version: "1" });
    await store.logTraces([first]);
    const again = makeTrace(0, "again", { version: "2" });
    const batch = [makeTrace(1, "t1"), again, makeTrace(2, "bad"), makeTrace(3, "t3")];
    await expect(Promise.resolve(store.logTraces(batch))).rejects.toMatchObject({ failedTraces: 1 });
    expect(store.countTraces()).toBe(3);
    expect(store.getTrace(first.info.traceId)?.info.tags.version).toBe("2");
    store.close();
  });

  // Written on the app's thread (`:memory:`, the exit path, a writer thread that died): before,
  // the one transaction rolled back and every trace of the batch was lost with the bad one.
  it("written on the app's thread (`:memory:`): logTraces throws a TracesNotStoredError counting it, and stores the others", () => {
    const store = new StoreWithABadTrace(":memory:");
    const traces = [0, 1, 2, 3, 4].map((n) => makeTrace(n, n === 3 ? "bad" : `t${n}`));
    expect(() => store.logTraces(traces)).toThrow(TracesNotStoredError);
    const error = thrownBy(() => store.logTraces([makeTrace(5, "bad"), makeTrace(6, "t6")]));
    expect(error).toBeInstanceOf(TracesNotStoredError);
    expect((error as TracesNotStoredError).failedTraces).toBe(1);
    expect((error as Error).message).toMatch(/1 of 2 trace\(s\) not stored: NOT NULL constraint failed/);
    expect(store.countTraces()).toBe(5);
    for (const n of [0, 1, 2, 4, 6]) expect(store.getTrace(makeTrace(n, "x").info.traceId)).not.toBeNull();
    store.close();
  });

  it("at exit (logTracesSync): what the writer thread held and the queue's last traces are stored around the bad one", async () => {
    const path = tempDb();
    // a commit interval that does not come before the exit: the batch is still in the ring
    const store = new StoreWithABadTrace(path, { commitIntervalMs: 60_000 });
    const held = [0, 1, 2].map((n) => makeTrace(n, n === 1 ? "bad" : `t${n}`));
    // the first batch the writer thread commits at once (a quiet spell); this one waits in the ring
    await store.logTraces([makeTrace(9, "t9")]);
    const pending = Promise.resolve(store.logTraces(held)).catch((e: unknown) => e);
    const last = [3, 4, 5].map((n) => makeTrace(n, n === 4 ? "bad" : `t${n}`));
    expect(() => store.logTracesSync(last)).toThrow(TracesNotStoredError);
    await pending;
    expect(store.countTraces()).toBe(5);
    for (const n of [9, 0, 2, 3, 5]) expect(store.getTrace(makeTrace(n, "x").info.traceId)).not.toBeNull();
    store.close();
  });

  it("at process.exit() in a child process: the queue's traces around the bad one are stored", () => {
    const path = tempDb();
    const distEntry = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");
    const child = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as tw from ${JSON.stringify(distEntry)};
const spoil = (ts) => { for (const t of ts) if (t.info.tags["mlflow.traceName"] === "bad") t.info.requestTime = Number.NaN; };
class Bad extends tw.SqliteTraceStore {
  logTraces(ts) { spoil(ts); return super.logTraces(ts); }
  logTracesSync(ts) { spoil(ts); super.logTracesSync(ts); }
}
tw.setTraceStore(new Bad(${JSON.stringify(path)}));
const good = tw.trace((s) => s, { name: "good" });
const bad = tw.trace((s) => s, { name: "bad" });
for (let i = 0; i < 5; i++) (i === 2 ? bad : good)(String(i));
// before the queue's drain: the exit hook writes the queue on this thread
process.exit(0);`,
      ],
      { env: { ...process.env, TRACEWRIGHT_LOG_LEVEL: "error" }, encoding: "utf8", timeout: 20_000 },
    );
    expect(child.status).toBe(0);
    expect(child.stderr).toMatch(/1 of 5 trace\(s\) not stored/);
    const store = new SqliteTraceStore(path);
    expect(store.countTraces()).toBe(4);
    store.close();
  });
});
