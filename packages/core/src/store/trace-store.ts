import type { Assessment } from "../entities/assessment.js";
import type { Trace } from "../entities/trace.js";

/** A value or a promise of it: embedded stores answer synchronously, remote ones asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/** An experiment: the container traces are logged to. */
export interface Experiment {
  experimentId: string;
  name: string;
}

/** Options of `searchTraces`. */
export interface SearchTracesOptions {
  /** Experiments to search; defaults to the active experiment. */
  experimentIds?: string[];
  /** MLflow filter grammar, e.g. `"tags.env = 'prod' AND attributes.status = 'OK'"`. */
  filterString?: string;
  /** Page size (default 100). */
  maxResults?: number;
  /** e.g. `["timestamp_ms DESC"]` (the default). */
  orderBy?: string[];
  /** Token from a previous page's `nextPageToken`. */
  pageToken?: string;
  /** Only traces logged inside this run. */
  runId?: string;
  /**
   * `false` returns each trace's info with an empty span list: far cheaper for listings (the
   * embedded store reads no span rows, the MLflow store downloads no span data). Default true.
   */
  includeSpans?: boolean;
}

/** One page of search results. */
export interface TracePage {
  traces: Trace[];
  /** Pass to the next search to get the following page; null on the last page. */
  nextPageToken: string | null;
}

/** Options of `deleteTraces`: either a time bound (optionally with a count) or a list of ids. */
export interface DeleteTracesOptions {
  experimentId: string;
  /** Delete traces that started at or before this time (ms since the epoch). */
  maxTimestampMillis?: number;
  /** With `maxTimestampMillis`: delete at most this many, oldest first. */
  maxTraces?: number;
  traceIds?: string[];
}

/** What `createRun` answers: the id a store assigned, or nothing when the caller's id stands. */
// biome-ignore lint/suspicious/noConfusingVoidType: stores that keep the caller's id return nothing (void)
export type AssignedRunId = string | undefined | void;

/**
 * Where finished traces are sent: all the export queue needs. An OpenTelemetry collector is only
 * this; a wrapper that adds delivery (a spool, several destinations) is this too, and names the
 * store reads go to in {@link TraceExporter.readsFrom}. `setTraceStore` and
 * `setTraceDestinations` accept any implementation.
 */
export interface TraceExporter {
  /** Persists finished traces. Called off the user's call path by the export queue. */
  logTraces(traces: Trace[]): MaybePromise<void>;
  /** Synchronous variant used to save queued traces when the process exits. */
  logTracesSync?(traces: Trace[]): void;
  close?(): MaybePromise<void>;
  /**
   * The store that holds what this exporter sends, for reads (`getTrace`, `searchTraces`, ...),
   * experiments and runs; absent when what it sends cannot be read back (a collector).
   */
  readonly readsFrom?: TraceStore | undefined;
}

/**
 * A destination that can also read and manage what it stores: the embedded SQLite store, the
 * in-memory store and an MLflow tracking server.
 */
export interface TraceStore extends TraceExporter {
  getTrace(traceId: string): MaybePromise<Trace | null>;
  searchTraces(options: SearchTracesOptions): MaybePromise<TracePage>;
  deleteTraces(options: DeleteTracesOptions): MaybePromise<number>;
  setTraceTag(traceId: string, key: string, value: string): MaybePromise<void>;
  deleteTraceTag(traceId: string, key: string): MaybePromise<void>;
  /** Stores an assessment, applying the override rule; returns it as stored. */
  logAssessment(assessment: Assessment): MaybePromise<Assessment>;
  getExperimentByName(name: string): MaybePromise<Experiment | null>;
  createExperiment(name: string): MaybePromise<Experiment>;
  /** Every experiment, with its trace count where the store knows it. */
  listExperiments?(): MaybePromise<Array<Experiment & { traceCount?: number }>>;
  /** The experiment with this id; null when the store has none, undefined when it cannot tell. */
  getExperimentById?(experimentId: string): MaybePromise<Experiment | null | undefined>;
  /**
   * Records a run (see `startRun`); stores without runs may omit it. A store that assigns run ids
   * itself (an MLflow server) returns the id it assigned, which then replaces `runId`.
   */
  createRun?(run: {
    runId: string;
    experimentId: string;
    name: string | null;
    startTime: number;
  }): MaybePromise<AssignedRunId>;
  endRun?(runId: string, status: string, endTime: number): MaybePromise<void>;
}

/** The read methods every {@link TraceStore} has: what tells a store from a write-only exporter. */
const READ_METHODS = [
  "getTrace",
  "searchTraces",
  "deleteTraces",
  "setTraceTag",
  "deleteTraceTag",
  "logAssessment",
  "getExperimentByName",
  "createExperiment",
] as const;

/** True when `x` can read and manage traces, not only send them. */
export function isTraceStore(x: TraceExporter): x is TraceStore {
  const r = x as unknown as Record<string, unknown>;
  return READ_METHODS.every((m) => typeof r[m] === "function");
}

/** The store that reads what `exporter` sends: itself when it is a store, else its `readsFrom`; null when none. */
export function readableStoreOf(exporter: TraceExporter): TraceStore | null {
  if (isTraceStore(exporter)) return exporter;
  const target = exporter.readsFrom;
  return target && isTraceStore(target) ? target : null;
}
