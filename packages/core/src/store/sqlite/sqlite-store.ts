import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { TraceMetadataKey } from "../../constants.js";
import { Assessment } from "../../entities/assessment.js";
import { Span } from "../../entities/span.js";
import { Trace } from "../../entities/trace.js";
import { approxSpanBytes, TraceData } from "../../entities/trace-data.js";
import { TraceInfo, type TraceState } from "../../entities/trace-info.js";
import {
  ConfigurationError,
  failedTracesOf,
  StoreClosedError,
  TraceNotFoundError,
  tracesNotStored,
} from "../../errors.js";
import { registerBackgroundWriter, unregisterBackgroundWriter } from "../../internal/background-writers.js";
import { log } from "../../internal/log.js";
import { applyOverride } from "../assessment-override.js";
import { checkDeleteOptions, checkSearchOptions, decodePageToken, encodePageToken, pageSize } from "../paging.js";
import { isAnotherPart, mergeTraceParts } from "../trace-merge.js";
import type { DeleteTracesOptions, Experiment, SearchTracesOptions, TracePage, TraceStore } from "../trace-store.js";
import { batchPerTrace, createBatchWriter, isBusyError, type SerializedBatch } from "./batch-writer.js";
import { jsonMemberPath, KeyKind, migrate, SPAN_KEYS_PER_TRACE, traceIdMatch } from "./schema.js";
import { filterToSql, orderByToSql, registerFilterFunctions } from "./sql-filter.js";
import { packTraces, serializeAssessment, serializeTraces, tracesFromBatch } from "./trace-records.js";
import { HandoffFullError, type HandoffOptions, WriteHandoff } from "./write-handoff.js";

type Row = Record<string, unknown>;

function loadSqlite(): typeof import("node:sqlite") {
  const mod = process.getBuiltinModule?.("node:sqlite") as typeof import("node:sqlite") | undefined;
  if (!mod) {
    throw new ConfigurationError(
      "The embedded trace store needs node:sqlite (Node.js >= 22.13, or 22.5 with --experimental-sqlite). Upgrade Node.js or set a different tracking URI.",
    );
  }
  return mod;
}

/** Statements prepared once per connection. */
interface Statements {
  setTag: StatementSync;
  deleteTag: StatementSync;
  deleteTraceByKey: StatementSync;
  traceKey: StatementSync;
  selectTrace: StatementSync;
  selectSpans: StatementSync;
  selectAssessments: StatementSync;
  insertAssessment: StatementSync;
}

/**
 * Above this many matching traces a tag or metadata equality is tested trace by trace in the
 * requested order rather than collected from the index first (measured at 1M traces: collecting
 * 333k matches took 175 ms, probing in time order 0.3 ms for the first page; for a value no trace
 * has, probing scans everything, 0.9 s, collecting takes no time).
 */
const COMMON_VALUE_ROWS = 2000;

/** A trace's size as the hand-off will take it, roughly: its spans' attribute text, and its info. */
function estimatedBytes(t: Trace): number {
  // the metadata gets a margin, not a count: it is mostly small (inputs and outputs are cut to
  // 250 characters), and an estimate that falls short only means a frame found full
  return 1024 + (t.info.requestPreview?.length ?? 0) + (t.info.responsePreview?.length ?? 0) + approxSpanBytes(t.data);
}

/** How long `close()` and the exit path wait for the writer thread before writing themselves. */
const DRAIN_TIMEOUT_MS = 5000;

/**
 * Settles once every frame of a batch has: a frame that failed fails only its own traces, the
 * others are stored. Rejects with how many of them all are not stored.
 */
async function allFrames(frames: Promise<void>[], sizes: number[]): Promise<void> {
  const results = await Promise.allSettled(frames);
  let failed = 0;
  let first: unknown;
  for (let k = 0; k < results.length; k++) {
    const r = results[k] as PromiseSettledResult<void>;
    if (r.status === "fulfilled") continue;
    failed += failedTracesOf(r.reason, sizes[k] as number);
    first ??= r.reason;
  }
  if (failed === 0) return;
  const total = sizes.reduce((a, b) => a + b, 0);
  // (the reason itself: a frame's error says how many of its own traces failed)
  throw tracesNotStored(failed, total, (first as { cause?: unknown } | null)?.cause ?? first);
}

/**
 * The embedded trace store: one SQLite file (WAL mode), no server. The default destination.
 *
 * Finished traces are written by a worker thread: `logTraces` only serialises them and hands them
 * over (bounded, see {@link HandoffOptions}); the thread commits them in group transactions and
 * the returned promise resolves once they are committed, so `flushTraces()` means "written". At
 * exit what was handed over is drained synchronously (nothing is lost on `process.exit()` or
 * SIGTERM). Reads and the management calls (tags, assessments, deletes) run on the calling thread
 * with their own connection. Several processes may write the same file at once; while another
 * connection holds the write lock the thread waits and tries again (see `lockTimeoutMs`), so a busy
 * file delays traces (and fills the hand-off, whose overflow is counted) but never fails them.
 */
export class SqliteTraceStore implements TraceStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly stmts: Statements;
  private inlineWriter: ReturnType<typeof createBatchWriter> | undefined;
  /** Absent for `:memory:`, which a second thread cannot open: written inline. */
  private readonly handoff: WriteHandoff | undefined;

  constructor(path: string, options: HandoffOptions = {}) {
    this.path = path;
    // options checked (ConfigurationError) before the file is opened, so a refusal leaves nothing open
    if (path !== ":memory:")
      this.handoff = new WriteHandoff(path, (payloads, perBatch) => this.writeInline(payloads, perBatch), options);
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(path, { timeout: 10_000 });
    // 8 KiB pages (new files only; an older file keeps its page size): span rows of 2-4 KB, one
    // to a 4 KiB page, packed three to a page. Measured with bench/store.mjs, 10-span traces of
    // 2.5 KB spans: 9,140 -> 6,400 bytes written per span, writer thread 25 -> 17-19 µs per span;
    // one-span traces: 1,973 -> 1,987 bytes. (16 KiB: 6,305 bytes, 15.5 µs, but 2,015 bytes; and
    // a trace committed alone rewrites a page per B-tree: 36 / 63 / 126 KB at 4 / 8 / 16 KiB.)
    this.db.exec("PRAGMA page_size = 8192");
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = NORMAL");
    this.db.exec("PRAGMA case_sensitive_like = ON");
    registerFilterFunctions(this.db);
    migrate(this.db, path);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      // the triggers of schema v3 keep the (key, value) index in step with the tags
      setTag: p("UPDATE traces SET tags = json_set(tags, ?, ?) WHERE trace_rk = ?"),
      deleteTag: p(
        "UPDATE traces SET tags = json_remove(tags, ?1) WHERE trace_rk = ?2 AND json_type(tags, ?1) IS NOT NULL",
      ),
      deleteTraceByKey: p("DELETE FROM traces WHERE trace_rk = ?"),
      traceKey: p(`SELECT trace_rk, experiment_id FROM traces WHERE ${traceIdMatch("trace_id", "?1")}`),
      selectTrace: p(`SELECT * FROM traces WHERE ${traceIdMatch("trace_id", "?1")}`),
      selectSpans: p(
        `SELECT content FROM spans WHERE span_key BETWEEN ?1 * ${SPAN_KEYS_PER_TRACE} AND ?1 * ${SPAN_KEYS_PER_TRACE} + ${SPAN_KEYS_PER_TRACE - 1} ORDER BY span_key`,
      ),
      selectAssessments: p("SELECT content FROM assessments WHERE trace_rk = ? ORDER BY create_time, rowid"),
      insertAssessment: p(
        `INSERT OR REPLACE INTO assessments (assessment_id, trace_rk, span_id, name, kind, source_type, source_id, create_time, valid, content)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
    if (this.handoff) registerBackgroundWriter(this.handoff);
  }

  /**
   * Writes serialised batches on this thread, in one transaction. A trace stored already is
   * another process's part of the same distributed trace (merged with it, inside this write
   * transaction, so two processes' parts cannot overwrite each other) or a re-log (replaces it).
   *
   * When that transaction fails (not for a lock another connection holds: that error is thrown
   * as it is), each batch is written again alone, and one that fails alone trace by trace, as the
   * writer thread does: a trace SQLite refuses costs only itself here too (the exit path, a
   * writer thread that died, `:memory:`). Throws {@link TracesNotStoredError} counting the traces
   * not stored; `perBatch`, when given, receives how many of each payload's (so that a caller
   * writing several batches at once can tell each its own).
   */
  private writeInline(payloads: SerializedBatch[], perBatch?: number[]): void {
    let first: unknown;
    try {
      this.writeInlineOnce(payloads);
      return;
    } catch (e) {
      if (isBusyError(e)) throw e;
      first = e;
    }
    let failed = 0;
    let total = 0;
    let last = first;
    for (let k = 0; k < payloads.length; k++) {
      const p = payloads[k] as SerializedBatch;
      const ones = batchPerTrace(p);
      total += ones.length;
      const failedBefore = failed;
      // (told only once the payload is done: a lock that stops it midway leaves it untold)
      if (payloads.length > 1) {
        try {
          this.writeInlineOnce([p]);
          if (perBatch) perBatch[k] = 0;
          continue;
        } catch (e) {
          if (isBusyError(e)) throw e;
          last = e;
        }
      }
      for (const one of ones.length > 1 ? ones : []) {
        try {
          this.writeInlineOnce([one]);
        } catch (e) {
          if (isBusyError(e)) throw e;
          failed++;
          last = e;
        }
      }
      if (ones.length === 1) failed++;
      if (perBatch) perBatch[k] = failed - failedBefore;
    }
    if (failed === 0) return;
    throw tracesNotStored(failed, total, last);
  }

  /** {@link writeInline}'s one transaction. */
  private writeInlineOnce(payloads: SerializedBatch[]): void {
    this.inlineWriter ??= createBatchWriter(this.db);
    const write = this.inlineWriter;
    try {
      this.transaction(() => {
        for (const p of payloads) {
          const stored = write(p, false);
          if (!stored) continue;
          // one at a time, each merged with what is stored after the one before it was written:
          // a batch may hold several parts of one trace (a server's requests of one distributed
          // trace, gathered into one batch), and each merged with the version stored before any
          // of them replaced it with its own part, the last part winning and the others lost
          for (const logged of tracesFromBatch(stored)) {
            const existing = this.readTrace(logged.info.traceId);
            const t = existing && isAnotherPart(existing, logged) ? mergeTraceParts(existing, logged) : logged;
            write(serializeTraces([t]), true);
          }
        }
      });
    } catch (e) {
      // rolled back: key ids it interned are gone
      write.forget();
      throw e;
    }
  }

  private transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  /**
   * Hands the traces to the writer thread; resolves once they are committed. Throws
   * `HandoffFullError` when the thread is too far behind (the export queue then holds them back).
   */
  logTraces(traces: Trace[]): void | Promise<void> {
    this.mustBeOpen("logTraces");
    if (traces.length === 0) return;
    const handoff = this.handoff;
    if (!handoff) return this.writeInline([serializeTraces(traces)]);
    // estimated once: a batch that fits goes as one frame (the common case: no chunking)
    const sizes = new Array<number>(traces.length);
    let total = 0;
    for (let k = 0; k < traces.length; k++) {
      const n = estimatedBytes(traces[k] as Trace);
      sizes[k] = n;
      total += n;
    }
    if (total < handoff.chunkBytes) return handoff.write(packTraces(traces), traces.length);
    // else in frames of about `chunkBytes` each, as many as fit: a backlog the export queue offers
    // at once is taken in part, not refused (and packed again) as a whole until the ring is empty.
    // A trace of `chunkBytes` or more is a frame of its own, and one larger than the whole ring
    // goes alone, as a message, once the ring is empty (write() sees to it). A batch of many
    // traces is never sent whole as one message: that was a structured clone of all of it on the
    // app's thread (a backlog of 25 MB in bench:store: ~50 ms with the app's thread blocked).
    const taken: Promise<void>[] = [];
    const takenSizes: number[] = [];
    let i = 0;
    while (i < traces.length) {
      let j = i;
      let estimate = 0;
      do estimate += sizes[j++] as number;
      while (j < traces.length && estimate + (sizes[j] as number) <= handoff.chunkBytes);
      if (!handoff.hasRoomFor(estimate)) break;
      try {
        taken.push(handoff.write(packTraces(traces.slice(i, j)), j - i));
      } catch (e) {
        if (e instanceof HandoffFullError) break;
        // written on this thread (a writer thread that died) with traces refused: that frame
        // counts them, and the frames after it are still written
        taken.push(Promise.reject(e));
      }
      takenSizes.push(j - i);
      i = j;
    }
    const all = taken.length === 1 ? taken[0] : allFrames(taken, takenSizes);
    if (i < traces.length) {
      throw new HandoffFullError(traces.length - i, handoff.limit, traces.slice(i), i > 0 ? all : undefined, i);
    }
    return all;
  }

  /**
   * Writes on this thread, after everything handed to the writer thread is durable (the exit
   * path). Throws {@link TracesNotStoredError} counting only `traces`' own refused traces: those of
   * the batches handed over earlier are their promises' to report (drainSync rejects them), and a
   * caller counts what this throws against `traces` (the export queue does).
   */
  logTracesSync(traces: Trace[]): void {
    this.mustBeOpen("logTracesSync");
    // what the writer thread held is written first; its failure (a trace SQLite refused) must not
    // keep these from being written
    try {
      this.handoff?.drainSync(DRAIN_TIMEOUT_MS);
    } catch (e) {
      // (logged here too: at an exit no promise's reaction runs)
      log.error("the embedded store could not store every trace handed to its writer thread", e);
    }
    if (traces.length > 0) this.writeInline([serializeTraces(traces)]);
  }

  private insertAssessment(traceKey: number, a: Assessment): void {
    const r = serializeAssessment(a);
    this.stmts.insertAssessment.run(r[0], traceKey, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
  }

  /** The trace's metadata: the JSON object, and the keys kept in columns of their own (schema.ts, v3). */
  private metadataFromRow(row: Row): Record<string, string> {
    const metadata = JSON.parse(row.metadata as string) as Record<string, string>;
    const inputs = row.trace_inputs as string | number | null;
    const outputs = row.trace_outputs as string | number | null;
    if (row.schema_version !== null) metadata[TraceMetadataKey.SCHEMA_VERSION] = row.schema_version as string;
    // 0: the same as the preview (see schema.ts, v3)
    if (inputs !== null)
      metadata[TraceMetadataKey.INPUTS] = typeof inputs === "number" ? (row.request_preview as string) : inputs;
    if (outputs !== null)
      metadata[TraceMetadataKey.OUTPUTS] = typeof outputs === "number" ? (row.response_preview as string) : outputs;
    return metadata;
  }

  private infoFromRow(row: Row): TraceInfo {
    const id = row.trace_id as string;
    const rk = row.trace_rk as number;
    return new TraceInfo({
      traceId: id,
      clientRequestId: (row.client_request_id as string | null) ?? null,
      experimentId: row.experiment_id as string,
      requestTime: Number(row.request_time),
      executionDuration: row.execution_duration === null ? null : Number(row.execution_duration),
      state: row.state as TraceState,
      requestPreview: (row.request_preview as string | null) ?? null,
      responsePreview: (row.response_preview as string | null) ?? null,
      tags: JSON.parse(row.tags as string) as Record<string, string>,
      traceMetadata: this.metadataFromRow(row),
      assessments: (this.stmts.selectAssessments.all(rk) as Array<{ content: string }>).map((r) =>
        Assessment.fromDict(JSON.parse(r.content) as Record<string, unknown>),
      ),
    });
  }

  private traceFromRow(row: Row, includeSpans = true): Trace {
    if (!includeSpans) return new Trace(this.infoFromRow(row), new TraceData([]));
    const spans = (this.stmts.selectSpans.all(row.trace_rk as number) as Array<{ content: string }>).map((r) =>
      Span.fromDict(JSON.parse(r.content) as Record<string, unknown>),
    );
    return new Trace(this.infoFromRow(row), new TraceData(spans));
  }

  getTrace(traceId: string): Trace | null {
    this.mustBeOpen("getTrace");
    return this.readTrace(traceId);
  }

  /**
   * {@link getTrace} without the closed check: the merge of set-aside parts runs inside `close()`
   * too (its drain of the writer thread writes them on this thread), and must still read them.
   */
  private readTrace(traceId: string): Trace | null {
    const row = this.stmts.selectTrace.get(traceId) as Row | undefined;
    return row ? this.traceFromRow(row) : null;
  }

  /**
   * More than {@link COMMON_VALUE_ROWS} traces have `key = value`: counted in the (key, value)
   * index, capped, so the answer costs at most that many index entries (well under a millisecond).
   */
  private readonly isCommonValue = (kind: KeyKind, key: string, value: string): boolean => {
    const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM trace_key_values v
      WHERE v.key_id = (SELECT key_id FROM trace_keys WHERE kind = ? AND key = ?) AND v.value = ? LIMIT ${COMMON_VALUE_ROWS + 1})`;
    return Number((this.db.prepare(sql).get(kind, key, String(value)) as { n: number }).n) > COMMON_VALUE_ROWS;
  };

  searchTraces(options: SearchTracesOptions): TracePage {
    this.mustBeOpen("searchTraces");
    checkSearchOptions(options);
    const where: string[] = [];
    const params: Array<string | number> = [];
    // a filter on a rare tag or metadata value: the few matching traces are collected from the
    // (key, value) index and sorted, instead of scanning the whole file in the requested order
    let rare = false;
    const isCommon = (kind: KeyKind, key: string, value: string): boolean => {
      const common = this.isCommonValue(kind, key, value);
      if (!common) rare = true;
      return common;
    };
    const filter = filterToSql(options.filterString, isCommon);
    if (options.experimentIds && options.experimentIds.length > 0) {
      // "+" keeps SQLite off the time index when the rare value should drive the query
      where.push(`${rare ? "+" : ""}t.experiment_id IN (${options.experimentIds.map(() => "?").join(", ")})`);
      params.push(...options.experimentIds);
    }
    if (options.runId) {
      where.push(
        "t.trace_rk IN (SELECT v.trace_rk FROM trace_key_values v WHERE v.key_id = (SELECT key_id FROM trace_keys WHERE kind = ? AND key = ?) AND v.value = ?)",
      );
      params.push(KeyKind.METADATA, TraceMetadataKey.SOURCE_RUN, options.runId);
    }
    where.push(filter.sql);
    params.push(...filter.params);
    const order = orderByToSql(options.orderBy);
    params.push(...order.params);
    const offset = decodePageToken(options.pageToken);
    const size = pageSize(options.maxResults);
    const matching = `SELECT t.* FROM traces t WHERE ${where.join(" AND ")}`;
    const sql = rare
      ? `WITH matching AS MATERIALIZED (${matching}) SELECT t.* FROM matching t ORDER BY ${order.sql} LIMIT ? OFFSET ?`
      : `${matching} ORDER BY ${order.sql} LIMIT ? OFFSET ?`;
    const rows = this.db.prepare(sql).all(...params, size + 1, offset) as Row[];
    const page = rows.slice(0, size).map((r) => this.traceFromRow(r, options.includeSpans ?? true));
    return { traces: page, nextPageToken: rows.length > size ? encodePageToken(offset + size) : null };
  }

  /** Number of stored traces (all experiments unless one is given). */
  countTraces(experimentId?: string): number {
    this.mustBeOpen("countTraces");
    const row = (
      experimentId === undefined
        ? this.db.prepare("SELECT count(*) AS n FROM traces").get()
        : this.db.prepare("SELECT count(*) AS n FROM traces WHERE experiment_id = ?").get(experimentId)
    ) as { n: number };
    return Number(row.n);
  }

  deleteTraces(options: DeleteTracesOptions): number {
    this.mustBeOpen("deleteTraces");
    checkDeleteOptions(options);
    return this.transaction(() => {
      let keys: number[];
      if (options.traceIds) {
        keys = [];
        for (const id of options.traceIds) {
          const row = this.stmts.traceKey.get(id) as { trace_rk: number; experiment_id: string } | undefined;
          if (row && row.experiment_id === options.experimentId) keys.push(row.trace_rk);
        }
      } else {
        keys = (
          this.db
            .prepare(
              "SELECT trace_rk FROM traces WHERE experiment_id = ? AND request_time <= ? ORDER BY request_time ASC, trace_id ASC LIMIT ?",
            )
            .all(
              options.experimentId,
              options.maxTimestampMillis ?? Number.MAX_SAFE_INTEGER,
              options.maxTraces ?? -1,
            ) as Array<{ trace_rk: number }>
        ).map((r) => r.trace_rk);
      }
      // the delete trigger takes the trace's spans, index entries and assessments with it
      let deleted = 0;
      for (const rk of keys) deleted += Number(this.stmts.deleteTraceByKey.run(rk).changes);
      return deleted;
    });
  }

  /** The stored trace's row key; a trace still with the writer thread is waited for. */
  private mustExist(traceId: string): number {
    let row = this.stmts.traceKey.get(traceId) as { trace_rk: number } | undefined;
    if (!row && this.handoff && this.handoff.pendingBatches > 0) {
      this.handoff.drainSync(DRAIN_TIMEOUT_MS);
      row = this.stmts.traceKey.get(traceId) as { trace_rk: number } | undefined;
    }
    if (!row) throw new TraceNotFoundError(traceId);
    return row.trace_rk;
  }

  setTraceTag(traceId: string, key: string, value: string): void {
    this.mustBeOpen("setTraceTag");
    this.stmts.setTag.run(jsonMemberPath(key), value, this.mustExist(traceId));
  }

  deleteTraceTag(traceId: string, key: string): void {
    this.mustBeOpen("deleteTraceTag");
    const rk = this.mustExist(traceId);
    const result = this.stmts.deleteTag.run(jsonMemberPath(key), rk);
    if (Number(result.changes) === 0) {
      throw new TraceNotFoundError(traceId, `Tag "${key}" does not exist on trace ${traceId}.`);
    }
  }

  logAssessment(assessment: Assessment): Assessment {
    this.mustBeOpen("logAssessment");
    return this.transaction(() => {
      const rk = this.mustExist(assessment.traceId);
      const existing = (this.stmts.selectAssessments.all(rk) as Array<{ content: string }>).map((r) =>
        Assessment.fromDict(JSON.parse(r.content) as Record<string, unknown>),
      );
      for (const replaced of applyOverride(existing, assessment)) this.insertAssessment(rk, replaced);
      this.insertAssessment(rk, assessment);
      return assessment;
    });
  }

  getExperimentByName(name: string): Experiment | null {
    this.mustBeOpen("getExperimentByName");
    const row = this.db.prepare("SELECT experiment_id, name FROM experiments WHERE name = ?").get(name) as
      | { experiment_id: number; name: string }
      | undefined;
    return row ? { experimentId: String(row.experiment_id), name: row.name } : null;
  }

  createExperiment(name: string): Experiment {
    this.mustBeOpen("createExperiment");
    this.db.prepare("INSERT OR IGNORE INTO experiments (name, creation_time) VALUES (?, ?)").run(name, Date.now());
    return this.getExperimentByName(name) as Experiment;
  }

  listExperiments(): Array<Experiment & { traceCount: number }> {
    this.mustBeOpen("listExperiments");
    return (
      this.db
        .prepare(
          `SELECT e.experiment_id, e.name, (SELECT count(*) FROM traces t WHERE t.experiment_id = CAST(e.experiment_id AS TEXT)) AS n
           FROM experiments e ORDER BY e.experiment_id`,
        )
        .all() as Array<{ experiment_id: number; name: string; n: number }>
    ).map((r) => ({ experimentId: String(r.experiment_id), name: r.name, traceCount: Number(r.n) }));
  }

  createRun(run: { runId: string; experimentId: string; name: string | null; startTime: number }): void {
    this.mustBeOpen("createRun");
    this.db
      .prepare("INSERT INTO runs (run_id, experiment_id, name, status, start_time) VALUES (?, ?, ?, 'RUNNING', ?)")
      .run(run.runId, run.experimentId, run.name, run.startTime);
  }

  endRun(runId: string, status: string, endTime: number): void {
    this.mustBeOpen("endRun");
    this.db.prepare("UPDATE runs SET status = ?, end_time = ? WHERE run_id = ?").run(status, endTime, runId);
  }

  /** Set by {@link close}: every later call throws {@link StoreClosedError}. */
  private closed = false;

  /**
   * Refuses a call after {@link close}: the file is closed, and a batch handed over now would
   * start a second writer thread that no exit drains.
   */
  private mustBeOpen(operation: string): void {
    if (this.closed) throw new StoreClosedError(this.path, `SqliteTraceStore.${operation}`);
  }

  /**
   * Drains the writer thread (what it holds is written first), ends it, and closes the file.
   * Idempotent; any other call afterwards throws {@link StoreClosedError}.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.handoff) {
        unregisterBackgroundWriter(this.handoff);
        this.handoff.close(DRAIN_TIMEOUT_MS);
      }
    } finally {
      // closed even when the drain reports traces it could not store
      if (this.db.isOpen) this.db.close();
    }
  }
}
