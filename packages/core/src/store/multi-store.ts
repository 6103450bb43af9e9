import type { Assessment } from "../entities/assessment.js";
import type { Trace } from "../entities/trace.js";
import { log } from "../internal/log.js";
import { lookUpExperimentById } from "./experiment-lookup.js";
import type { DeleteTracesOptions, Experiment, SearchTracesOptions, TracePage, TraceStore } from "./trace-store.js";

/**
 * Sends every trace to several destinations at once (e.g. the embedded store and an OpenTelemetry
 * collector). Reads and changes go to the first destination. A destination that fails is logged;
 * the batch counts as failed when any destination failed.
 */
export class MultiTraceStore implements TraceStore {
  private readonly primary: TraceStore;

  constructor(private readonly stores: TraceStore[]) {
    if (stores.length === 0) throw new TypeError("MultiTraceStore needs at least one destination.");
    this.primary = stores[0] as TraceStore;
  }

  async logTraces(traces: Trace[]): Promise<void> {
    const results = await Promise.allSettled(this.stores.map(async (s) => s.logTraces(traces)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    for (const f of failed) log.error("a trace destination failed", f.reason);
    if (failed.length > 0)
      throw new AggregateError(
        failed.map((f) => f.reason),
        `${failed.length} destination(s) failed`,
      );
  }

  logTracesSync(traces: Trace[]): void {
    for (const s of this.stores) s.logTracesSync?.(traces);
  }

  getTrace(traceId: string) {
    return this.primary.getTrace(traceId);
  }
  searchTraces(options: SearchTracesOptions): TracePage | Promise<TracePage> {
    return this.primary.searchTraces(options);
  }
  deleteTraces(options: DeleteTracesOptions) {
    return this.primary.deleteTraces(options);
  }
  setTraceTag(traceId: string, key: string, value: string) {
    return this.primary.setTraceTag(traceId, key, value);
  }
  deleteTraceTag(traceId: string, key: string) {
    return this.primary.deleteTraceTag(traceId, key);
  }
  logAssessment(assessment: Assessment) {
    return this.primary.logAssessment(assessment);
  }
  getExperimentByName(name: string): Experiment | null | Promise<Experiment | null> {
    return this.primary.getExperimentByName(name);
  }
  createExperiment(name: string) {
    return this.primary.createExperiment(name);
  }
  listExperiments() {
    return this.primary.listExperiments?.() ?? [];
  }
  getExperimentById(experimentId: string) {
    return lookUpExperimentById(this.primary, experimentId);
  }
  // runs are not traces: created and ended on the destination directly, not through the spool
  createRun(run: { runId: string; experimentId: string; name: string | null; startTime: number }) {
    return this.primary.createRun?.(run);
  }
  endRun(runId: string, status: string, endTime: number) {
    return this.primary.endRun?.(runId, status, endTime);
  }
  async close(): Promise<void> {
    await Promise.all(this.stores.map(async (s) => s.close?.()));
  }
}
