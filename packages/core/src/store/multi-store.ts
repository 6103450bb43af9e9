import type { Trace } from "../entities/trace.js";
import { log } from "../internal/log.js";
import { readableStoreOf, type TraceExporter, type TraceStore } from "./trace-store.js";

/**
 * Sends every trace to several destinations at once (e.g. the embedded store and an OpenTelemetry
 * collector). A destination that fails is logged; the batch counts as failed when any destination
 * failed. It only exports: reads, experiments and runs go to {@link MultiTraceStore.readsFrom},
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
    const results = await Promise.allSettled(this.destinations.map(async (s) => s.logTraces(traces)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    for (const f of failed) log.error("a trace destination failed", f.reason);
    if (failed.length > 0)
      throw new AggregateError(
        failed.map((f) => f.reason),
        `${failed.length} destination(s) failed`,
      );
  }

  logTracesSync(traces: Trace[]): void {
    for (const s of this.destinations) s.logTracesSync?.(traces);
  }

  async close(): Promise<void> {
    await Promise.all(this.destinations.map(async (s) => s.close?.()));
  }
}
