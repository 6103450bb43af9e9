/**
 * Several destinations at once (`setTraceDestinations`) with the embedded store among them: its
 * hand-off filling up is backpressure, not a failure. Before, `MultiTraceStore` turned the
 * store's HandoffFullError into a failed destination: the traces it had not taken were never
 * stored, logged as errors and counted failed although the other destination had them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  flushTraces,
  getExportStats,
  InMemoryTraceStore,
  SqliteTraceStore,
  setTraceDestinations,
  setTraceStore,
  trace,
} from "../src/index.js";

afterEach(() => setTraceStore(null));

describe("the embedded store among several destinations", () => {
  it("takes a burst larger than its hand-off in parts, as it does alone: nothing failed, nothing lost", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tw-multi-")), "traces.db");
    const sqlite = new SqliteTraceStore(path, { maxPendingBytes: 64 * 1024, commitIntervalMs: 5 });
    const memory = new InMemoryTraceStore();
    setTraceDestinations([sqlite, memory]);
    const before = getExportStats();
    const step = trace((s: string) => s.length, { name: "burst" });
    // ~600 KB with no yield in between: the hand-off fills many times over
    for (let i = 0; i < 600; i++) step(`${i}:`.padEnd(1000, "m"));
    await flushTraces();
    const after = getExportStats();
    expect(after.failed - before.failed).toBe(0);
    expect(memory.searchTraces({ experimentIds: ["0"], maxResults: 1000 }).traces.length).toBe(600);
    expect(sqlite.countTraces() + (after.overflowed - before.overflowed)).toBe(600);
    expect(sqlite.countTraces()).toBe(600);
    sqlite.close();
  });

  it("counts as overflowed, not failed, what a destination that stays full never takes", async () => {
    // a destination that answers as the embedded store does while its writer is stuck
    let offers = 0;
    const stuck = {
      logTraces(): void {
        offers++;
        throw Object.assign(new Error("the embedded store's writer is behind"), { code: "TRACEWRIGHT_HANDOFF_FULL" });
      },
    };
    const memory = new InMemoryTraceStore();
    setTraceDestinations([stuck, memory]);
    const before = getExportStats();
    const step = trace((n: number) => n, { name: "stuck" });
    for (let i = 0; i < 5; i++) step(i);
    const t0 = Date.now();
    await flushTraces();
    const after = getExportStats();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(offers).toBeGreaterThan(10);
    expect(after.overflowed - before.overflowed).toBe(5);
    expect(after.failed - before.failed).toBe(0);
    expect(memory.searchTraces({ experimentIds: ["0"] }).traces.length).toBe(5);
  });
});
