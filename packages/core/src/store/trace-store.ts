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
 * Where finished traces are stored and read back. The embedded SQLite store, the in-memory
 * store and remote stores implement it; `setTraceStore` accepts any implementation.
 */
export interface TraceStore {
  /** Persists finished traces. Called off the user's call path by the export queue. */
  logTraces(traces: Trace[]): MaybePromise<void>;
  /** Synchronous variant used to save queued traces when the process exits. */
  logTracesSync?(traces: Trace[]): void;
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
  close?(): MaybePromise<void>;
}
