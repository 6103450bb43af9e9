import type { Trace } from "../entities/trace.js";
import { failedTracesOf, tracesNotStored } from "../errors.js";
import { deliveryStats } from "../internal/delivery-stats.js";
import { log } from "../internal/log.js";
import { isHandoffFull } from "./sqlite/write-handoff.js";
import { readableStoreOf, type TraceExporter, type TraceStore } from "./trace-store.js";

/** How long a destination whose hand-off is full (the embedded store) is offered the rest again. */
const FULL_RETRY_MS = 2000;
/** The pause before offering again when the full destination took nothing. */
const FULL_PAUSE_MS = 5;

/**
 * Sends the traces to one destination. One whose hand-off is full is behind, not failing: it gets
 * what it did not take again once it committed the part it took (or after a pause), for up to
 * {@link FULL_RETRY_MS}; what it still cannot take then is counted as overflowed, as the export
 * queue counts a full hand-off's overflow when the store is the only destination. (The queue's
 * own hold-back cannot serve here: the other destinations took the batch already.)
 */
async function deliver(destination: TraceExporter, traces: Trace[]): Promise<void> {
  let rest = traces;
  const deadline = Date.now() + FULL_RETRY_MS;
  for (;;) {
    try {
      await destination.logTraces(rest);
      return;
    } catch (e) {
      if (!isHandoffFull(e)) throw e;
      if (e.rest) rest = [...e.rest];
      if (Date.now() >= deadline) {
        deliveryStats.overflowed = (deliveryStats.overflowed ?? 0) + rest.length;
        log.warnOnce(
          "multi-store-overflow",
          "a trace destination's writer is behind for too long: dropping traces it could not take; see getExportStats().overflowed",
        );
        return;
      }
      await (e.accepted ?? new Promise((resolve) => setTimeout(resolve, FULL_PAUSE_MS)));
    }
  }
}

/**
 * What the destinations that failed make of a batch of `total` traces: the one failure as it is,
 * or for several a {@link TracesNotStoredError} (its cause the AggregateError of them all)
 * counting, of the batch, the traces some destination did not store: each destination's count
 * (all of the batch for an error that does not say), summed, at most the batch. Summed rather than
 * the largest: two destinations may each have refused a different trace, and a count short of the
 * truth is a trace lost silently (the export queue counts the rest exported).
 */
function failureOf(failures: unknown[], total: number): unknown {
  if (failures.length === 1) return failures[0];
  const notStored = Math.min(
    total,
    failures.reduce<number>((n, f) => n + failedTracesOf(f, total), 0),
  );
  return tracesNotStored(notStored, total, new AggregateError(failures, `${failures.length} destination(s) failed`));
}

/**
 * Sends every trace to several destinations at once (e.g. the embedded store and an OpenTelemetry
 * collector). A destination that fails is logged; a trace counts as failed when a destination did
 * not store it (see {@link failureOf}). It only exports: reads, experiments and runs go to {@link MultiTraceStore.readsFrom},
 * the first destination that can read.
 */
export class MultiTraceStore implements TraceExporter {
  /** The first destination that can read (itself a store, or naming one in its `readsFrom`). */
  readonly readsFrom: TraceStore | undefined;

  constructor(private readonly destinations: TraceExporter[]) {
    if (destinations.length === 0) throw new TypeError("MultiTraceStore needs at least one destination.");
    this.readsFrom = destinations.map(readableStoreOf).find((s) => s !== null) ?? undefined;
  }

  async logTraces(traces: Trace[]): Promise<void> {
    const results = await Promise.allSettled(this.destinations.map((s) => deliver(s, traces)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    for (const f of failed) log.error("a trace destination failed", f.reason);
    if (failed.length > 0)
      throw failureOf(
        failed.map((f) => f.reason),
        traces.length,
      );
  }

  /**
   * Writes to every destination, each whatever another threw (a store may refuse a trace and
   * store the rest: the others must still get the batch); then rethrows what failed (several
   * failures as one, {@link failureOf}).
   */
  logTracesSync(traces: Trace[]): void {
    const failures: unknown[] = [];
    for (const s of this.destinations) {
      try {
        s.logTracesSync?.(traces);
      } catch (e) {
        failures.push(e);
      }
    }
    if (failures.length > 1) for (const f of failures) log.error("a trace destination failed", f);
    if (failures.length > 0) throw failureOf(failures, traces.length);
  }

  async close(): Promise<void> {
    await Promise.all(this.destinations.map(async (s) => s.close?.()));
  }
}
