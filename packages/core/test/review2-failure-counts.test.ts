/**
 * Review of the per-trace retries (e1f2997): how many of a batch's traces the embedded store says
 * it did not store. A count short of the truth is a trace lost silently: the export queue counts
 * it exported (`getExportStats()`), and the error names fewer traces than were refused.
 *
 * The traces SQLite refuses: those tagged `refuse`, by a trigger on the `traces` table (real
 * SQLite refusing an INSERT, on whichever thread makes it).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryTraceStore, SqliteTraceStore, setTraceStore, type Trace, TracesNotStoredError } from "../src/index.js";
import { MultiTraceStore } from "../src/stores.js";
import { numberedTrace } from "./numbered-trace.js";

afterEach(() => setTraceStore(null));

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-review2-")), "traces.db");

/** The store at `path`, with SQLite refusing every trace tagged `refuse` from now on. */
function storeRefusingTagged(path: string, options: ConstructorParameters<typeof SqliteTraceStore>[1]) {
  const store = new SqliteTraceStore(path, options);
  const db = new DatabaseSync(path);
  db.exec(`CREATE TRIGGER refuse_tagged BEFORE INSERT ON traces WHEN NEW.tags LIKE '%"refuse"%'
    BEGIN SELECT RAISE(ABORT, 'refused by the review test'); END`);
  db.close();
  return store;
}

const idTimeMs = Date.now();
const makeTrace = (n: number, tags: Record<string, string> = {}): Trace => numberedTrace(n, { tags, idTimeMs });
const outcomeOf = (p: void | Promise<void>): Promise<unknown> =>
  Promise.resolve(p).then(
    () => undefined,
    (e: unknown) => e,
  );

/**
 * Another process holding the file's write lock for `ms` from when this resolves: the writer
 * thread cannot commit (so an exit's drain reaches its deadline and writes the ring's batches on
 * the app's thread, the `late` path of drainSync).
 */
async function lockFileFor(path: string, ms: number): Promise<{ done: Promise<unknown> }> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(${JSON.stringify(path)});
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\\n");
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});
db.exec("ROLLBACK");
db.close();`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const done = once(child, "exit");
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("locked")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`the lock holder exited (${code}) before locking`)));
  });
  return { done };
}

describe("the traces a batch did not store, counted", () => {
  it("a re-log that the app's thread cannot store, beside a trace the writer thread refused: both counted", async () => {
    const store = storeRefusingTagged(tempDb(), { commitIntervalMs: 5 });
    await store.logTraces([makeTrace(0)]);
    // trace 0 again: set aside by the writer thread (its id is stored), replaced on the app's
    // thread, where SQLite refuses it; trace 1: refused by the writer thread
    const outcome = await outcomeOf(store.logTraces([makeTrace(0, { refuse: "1" }), makeTrace(1, { refuse: "1" })]));
    expect(outcome).toBeInstanceOf(TracesNotStoredError);
    expect((outcome as TracesNotStoredError).failedTraces).toBe(2);
    expect(store.countTraces()).toBe(1);
    store.close();
  });

  // The drain's deadline passes with the file locked: what the writer thread held is written on
  // the app's thread once the lock is released. Before, drainSync resolved those batches' promises
  // (the export queue counted their refused trace exported) and threw their count to its caller,
  // and logTracesSync threw that count (counted by the export queue against its own batch), or
  // dropped it when its own traces had one refused too.
  it("at a drain past its deadline: the held batch rejects with its own count, and logTracesSync throws its own", async () => {
    const path = tempDb();
    const store = storeRefusingTagged(path, { commitIntervalMs: 60_000, lockTimeoutMs: 0 });
    // committed at once (a quiet spell); the next batch waits for the interval, then for the lock
    await store.logTraces([makeTrace(9)]);
    const lock = await lockFileFor(path, 8000);
    const held = outcomeOf(store.logTraces([makeTrace(0), makeTrace(1, { refuse: "1" }), makeTrace(2)]));
    let thrown: unknown;
    try {
      store.logTracesSync([makeTrace(3), makeTrace(4, { refuse: "1" })]);
    } catch (e) {
      thrown = e;
    }
    const heldOutcome = await held;
    await lock.done;
    expect(store.countTraces()).toBe(4);
    expect(thrown).toBeInstanceOf(TracesNotStoredError);
    expect((thrown as TracesNotStoredError).failedTraces).toBe(1);
    expect((thrown as Error).message).toMatch(/^1 of 2 trace\(s\) not stored/);
    expect(heldOutcome).toBeInstanceOf(TracesNotStoredError);
    expect((heldOutcome as TracesNotStoredError).failedTraces).toBe(1);
    expect((heldOutcome as Error).message).toBe("1 of 3 trace(s) not stored: refused by the review test");
    store.close();
  }, 30_000);

  // A writer thread that died: every frame is written on the app's thread as it is handed over.
  // Before, a frame with a refused trace threw out of logTraces' loop over a large batch's frames,
  // and the frames after it were never written, although the error counted one trace only (the
  // export queue counted the rest exported).
  it("with the writer thread dead: a large batch's frames after the one with a refused trace are still written", async () => {
    const path = tempDb();
    const store = storeRefusingTagged(path, {});
    const first = store.logTraces([makeTrace(0)]);
    const worker = (store as unknown as { handoff: { worker: { terminate(): Promise<number> } } }).handoff.worker;
    await worker.terminate();
    await first;
    // ~100 traces of 20 spans: frames of 64 KiB, the refused trace in the first of them
    const batch = Array.from({ length: 100 }, (_, k) =>
      numberedTrace(k + 1, { spans: 20, idTimeMs, tags: k === 5 ? { refuse: "1" } : {} }),
    );
    let outcome: unknown;
    try {
      outcome = await outcomeOf(store.logTraces(batch));
    } catch (e) {
      outcome = e;
    }
    expect(outcome).toBeInstanceOf(TracesNotStoredError);
    expect((outcome as TracesNotStoredError).failedTraces).toBe(1);
    expect(store.countTraces()).toBe(100);
    store.close();
  });

  // Several destinations at exit: the embedded store now throws for one refused trace while it
  // stores the others (e1f2997). Before, MultiTraceStore.logTracesSync stopped at that throw, and
  // the destinations after it got none of the batch.
  it("at exit with several destinations: one refused by the embedded store still reaches the others, and is reported", () => {
    const sqlite = storeRefusingTagged(tempDb(), {});
    const memory = new InMemoryTraceStore();
    const both = new MultiTraceStore([sqlite, memory]);
    const batch = [makeTrace(0), makeTrace(1, { refuse: "1" }), makeTrace(2)];
    expect(() => both.logTracesSync(batch)).toThrow(TracesNotStoredError);
    expect(sqlite.countTraces()).toBe(2);
    expect(memory.searchTraces({ experimentIds: ["0"] }).traces.length).toBe(3);
    sqlite.close();
  });

  it("with several destinations failing, the error counts the traces some destination did not store, not the whole batch", async () => {
    const sqlite = storeRefusingTagged(tempDb(), {});
    // another destination that stores all but the first trace of a batch, and says so
    const picky = new (class extends InMemoryTraceStore {
      override logTraces(traces: Trace[]): void {
        super.logTraces(traces.slice(1));
        throw new TracesNotStoredError("1 of the batch not stored", 1);
      }
    })();
    const batch = [makeTrace(10), makeTrace(11, { refuse: "1" }), makeTrace(12), makeTrace(13)];
    const outcome = await outcomeOf(new MultiTraceStore([sqlite, picky]).logTraces(batch));
    expect(outcome).toBeInstanceOf(TracesNotStoredError);
    // one refused by each: two of the four (the export queue counts the other two exported)
    expect((outcome as TracesNotStoredError).failedTraces).toBe(2);
    expect((outcome as TracesNotStoredError).message).toMatch(
      /^2 of 4 trace\(s\) not stored: 2 destination\(s\) failed/,
    );
    expect(sqlite.countTraces()).toBe(3);
    // the same at exit, on the synchronous path
    const again = [makeTrace(20), makeTrace(21, { refuse: "1" })];
    let thrown: unknown;
    try {
      new MultiTraceStore([sqlite, picky]).logTracesSync(again);
    } catch (e) {
      thrown = e;
    }
    expect((thrown as TracesNotStoredError).failedTraces).toBe(2);
    sqlite.close();
  });
});
