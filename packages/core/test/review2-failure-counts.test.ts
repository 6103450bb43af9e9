/**
 * Review of the per-trace retries (e1f2997): how many of a batch's traces the embedded store says
 * it did not store. A count short of the truth is a trace lost silently: the export queue counts
 * it exported (`getExportStats()`), and the error names fewer traces than were refused.
 *
 * The traces SQLite refuses: those tagged `refuse`, by a trigger on the `traces` table (real
 * SQLite refusing an INSERT, on whichever thread makes it).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteTraceStore, setTraceStore, type Trace, TracesNotStoredError } from "../src/index.js";
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
});
