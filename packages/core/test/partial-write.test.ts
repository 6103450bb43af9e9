/**
 * A trace SQLite refuses costs only itself. Before, the writer thread gave up on the whole frame
 * it came in (every trace of the batch, or of its 64 KiB part), and the export queue counted the
 * whole batch failed, the stored parts too (`Promise.all` over the parts).
 *
 * The bad trace: a request time that is not a number, which the `traces` table's NOT NULL refuses
 * (NaN binds as NULL). It is made so at the store's door, by a subclass: nothing in the app's own
 * path makes one, which is the point of a store that must survive the one that slips through.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** The embedded store, with the traces named "bad" made unstorable on their way in. */
class StoreWithABadTrace extends SqliteTraceStore {
  override logTraces(traces: Trace[]): void | Promise<void> {
    for (const t of traces)
      if (t.info.tags["mlflow.traceName"] === "bad")
        (t.info as unknown as { requestTime: number }).requestTime = Number.NaN;
    return super.logTraces(traces);
  }
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
});
