import { DEFAULT_EXPERIMENT_ID, TraceMetadataKey } from "../constants.js";
import type { Assessment } from "../entities/assessment.js";
import { Trace } from "../entities/trace.js";
import { TraceData } from "../entities/trace-data.js";
import { TraceInfo } from "../entities/trace-info.js";
import { TraceNotFoundError } from "../errors.js";
import { applyOverride } from "./assessment-override.js";
import { compileFilterToPredicate } from "./filter/predicate.js";
import {
  checkDeleteOptions,
  checkSearchOptions,
  decodePageToken,
  encodePageToken,
  pageSize,
  sortTraces,
} from "./paging.js";
import { isAnotherPart, mergeTraceParts } from "./trace-merge.js";
import type { DeleteTracesOptions, Experiment, SearchTracesOptions, TracePage, TraceStore } from "./trace-store.js";

const clone = (t: Trace): Trace => Trace.fromDict(t.toDict());
const cloneInfoOnly = (t: Trace): Trace => new Trace(TraceInfo.fromDict(t.info.toDict()), new TraceData([]));

/**
 * Keeps traces in process memory. Meant for tests and short scripts: select it with
 * `setTrackingUri("memory:")` and read traces back with `getTrace` / `searchTraces`.
 */
export class InMemoryTraceStore implements TraceStore {
  private readonly traces = new Map<string, Trace>();
  private readonly experiments = new Map<string, Experiment>([
    [DEFAULT_EXPERIMENT_ID, { experimentId: DEFAULT_EXPERIMENT_ID, name: "Default" }],
  ]);
  private nextExperimentId = 1;

  logTraces(traces: Trace[]): void {
    for (const t of traces) {
      // another process's (or a late) part of the same distributed trace adds to it
      const stored = this.traces.get(t.info.traceId);
      this.traces.set(t.info.traceId, clone(stored && isAnotherPart(stored, t) ? mergeTraceParts(stored, t) : t));
    }
  }

  logTracesSync(traces: Trace[]): void {
    this.logTraces(traces);
  }

  getTrace(traceId: string): Trace | null {
    const t = this.traces.get(traceId);
    return t ? clone(t) : null;
  }

  /** Every stored trace, oldest first (test helper). */
  allTraces(): Trace[] {
    return [...this.traces.values()].sort((a, b) => a.info.requestTime - b.info.requestTime).map(clone);
  }

  /** Removes every trace (test helper). */
  clear(): void {
    this.traces.clear();
  }

  searchTraces(options: SearchTracesOptions): TracePage {
    checkSearchOptions(options);
    const matches = compileFilterToPredicate(options.filterString);
    const experimentIds = options.experimentIds;
    let rows = [...this.traces.values()].filter(
      (t) =>
        (!experimentIds || experimentIds.includes(t.info.experimentId)) &&
        (!options.runId || t.info.traceMetadata[TraceMetadataKey.SOURCE_RUN] === options.runId) &&
        matches(t),
    );
    rows = sortTraces(rows, options.orderBy);
    const offset = decodePageToken(options.pageToken);
    const size = pageSize(options.maxResults);
    const page = rows.slice(offset, offset + size);
    const next = offset + size < rows.length ? encodePageToken(offset + size) : null;
    return { traces: page.map(options.includeSpans === false ? cloneInfoOnly : clone), nextPageToken: next };
  }

  deleteTraces(options: DeleteTracesOptions): number {
    checkDeleteOptions(options);
    let candidates = [...this.traces.values()].filter((t) => t.info.experimentId === options.experimentId);
    if (options.traceIds) {
      const ids = new Set(options.traceIds);
      candidates = candidates.filter((t) => ids.has(t.info.traceId));
    } else {
      const bound = options.maxTimestampMillis ?? Number.POSITIVE_INFINITY;
      candidates = candidates
        .filter((t) => t.info.requestTime <= bound)
        .sort((a, b) => a.info.requestTime - b.info.requestTime)
        .slice(0, options.maxTraces ?? Number.POSITIVE_INFINITY);
    }
    for (const t of candidates) this.traces.delete(t.info.traceId);
    return candidates.length;
  }

  private mustGet(traceId: string): Trace {
    const t = this.traces.get(traceId);
    if (!t) throw new TraceNotFoundError(traceId);
    return t;
  }

  setTraceTag(traceId: string, key: string, value: string): void {
    this.mustGet(traceId).info.tags[key] = value;
  }

  deleteTraceTag(traceId: string, key: string): void {
    const tags = this.mustGet(traceId).info.tags;
    if (!(key in tags)) throw new TraceNotFoundError(traceId, `Tag "${key}" does not exist on trace ${traceId}.`);
    delete tags[key];
  }

  logAssessment(assessment: Assessment): Assessment {
    const trace = this.mustGet(assessment.traceId);
    applyOverride(trace.info.assessments, assessment);
    trace.info.assessments.push(assessment);
    return assessment;
  }

  getExperimentByName(name: string): Experiment | null {
    for (const e of this.experiments.values()) if (e.name === name) return e;
    return null;
  }

  createExperiment(name: string): Experiment {
    const existing = this.getExperimentByName(name);
    if (existing) return existing;
    const e = { experimentId: String(this.nextExperimentId++), name };
    this.experiments.set(e.experimentId, e);
    return e;
  }

  listExperiments(): Experiment[] {
    return [...this.experiments.values()];
  }
}
