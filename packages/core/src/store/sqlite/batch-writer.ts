import type { DatabaseSync } from "node:sqlite";

/**
 * A trace as the writer thread receives it, made on the app's thread by `serializeTraces`
 * (trace-records.ts): `[traceId, experimentId, clientRequestId, requestTime, executionDuration,
 * state, requestPreview, responsePreview, tags, metadata, assessments, spans]`, where each span is
 * `[spanId, parentId, name, spanType, statusCode, startTimeNs, endTimeNs]` (its stored JSON is in
 * {@link SerializedBatch.contents}) and each assessment `[assessmentId, spanId, name, kind,
 * sourceType, sourceId, createTime, valid, dictJson]`.
 */
export type TraceRecord = [
  string,
  string,
  string | null,
  number,
  number | null,
  string,
  string | null,
  string | null,
  Record<string, string>,
  Record<string, string>,
  Array<[string, string | null, string, string, string, string, number, 0 | 1, string]>,
  Array<[string, string | null, string, string | null, string, number, number | null]>,
];

/**
 * A batch of traces for the writer: the records as one JSON string, and each span's stored JSON
 * as its own string, in order. Span contents travel as strings (a worker message copies strings
 * flat) so that neither thread parses or re-encodes them: the bulk of the bytes is never touched.
 */
export interface SerializedBatch {
  /** JSON text of the records, or the records themselves (as the writer thread unpacks a frame). */
  records: string | TraceRecord[];
  contents: string[];
}

/**
 * A batch cut into batches of one trace each, in order: how a batch that failed is written again,
 * so that the traces SQLite refuses are the only ones lost (by the writer thread and by the app's
 * thread alike). Sent to the writer thread as source text: it references nothing outside its body.
 */
export function batchPerTrace(batch: SerializedBatch): SerializedBatch[] {
  const records = typeof batch.records === "string" ? (JSON.parse(batch.records) as TraceRecord[]) : batch.records;
  const batches: SerializedBatch[] = [];
  let next = 0;
  for (const record of records) {
    // (a record's spans, its 12th field, are its contents in order)
    const spans = record[11].length;
    batches.push({ records: [record], contents: batch.contents.slice(next, next + spans) });
    next += spans;
  }
  return batches;
}

/** True for SQLITE_BUSY and its extended codes: another connection holds the lock, the batch is fine. */
export function isBusyError(e: unknown): boolean {
  return ((e as { errcode?: unknown } | null)?.errcode as number) % 256 === 5;
}

/**
 * Returns a function that writes one {@link SerializedBatch} with `db`, inside the caller's
 * transaction. With `replace` false, a trace whose id is stored already is not written but
 * returned (as a batch of its own): it may be another process's part of the same distributed
 * trace, which only the app's thread can merge (trace-merge.ts); with `replace` true it replaces
 * the stored one. Returns null when nothing was set aside.
 *
 * Per trace: a lookup of the id, one INSERT of the trace row (schema v3, schema.ts), one per
 * index entry (tags and indexed metadata) and one per span. Each is a single-row INSERT ... VALUES
 * on purpose: SQLite gives a statement that may write several rows (INSERT ... SELECT, a trigger,
 * multi-row VALUES) a statement journal, a copy of every page it touches, which spills to a temp
 * file once it passes 64 KiB (measured: 8 extra write calls per trace with 16 KiB pages).
 *
 * This function is also the writer thread's code: it is sent to the worker as source text
 * (`Function.prototype.toString`), so it must reference nothing outside its own body. It
 * therefore spells out `traceIdMatch("trace_id", "?1")`, `SPAN_KEYS_PER_TRACE`, `KeyKind` and
 * `UNINDEXED_METADATA_KEYS` of schema.ts (test/sqlite-schema.test.ts checks that they agree).
 */
export function createBatchWriter(db: DatabaseSync): BatchWriter {
  const INPUTS = "mlflow.traceInputs";
  const OUTPUTS = "mlflow.traceOutputs";
  const SCHEMA_VERSION = "mlflow.trace_schema.version";
  const UNINDEXED = new Set([
    INPUTS,
    OUTPUTS,
    "mlflow.trace.tokenUsage",
    "mlflow.trace.sizeBytes",
    "mlflow.trace.sizeStats",
    SCHEMA_VERSION,
    "tracewright.trace.truncation",
  ]);
  const TAG = 0;
  const METADATA = 1;
  const SPAN_KEYS_PER_TRACE = 1_048_576;
  const MAX_TRACE_KEY = 2 ** 33;
  const byId =
    "iif(length(trace_id) = 35 AND substr(trace_id, 1, 3) = 'tr-', substr(trace_id, 4, 12) || substr(trace_id, 32, 4), trace_id) = iif(length(?1) = 35 AND substr(?1, 1, 3) = 'tr-', substr(?1, 4, 12) || substr(?1, 32, 4), ?1) AND trace_id = ?1";
  const exists = db.prepare(`SELECT 1 FROM traces WHERE ${byId}`);
  const deleteTrace = db.prepare(`DELETE FROM traces WHERE ${byId}`);
  const insertTrace = db.prepare(
    `INSERT INTO traces (trace_id, experiment_id, client_request_id, request_time, execution_duration, state,
       request_preview, response_preview, tags, metadata, trace_inputs, trace_outputs, schema_version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertEntry = db.prepare("INSERT INTO trace_key_values (key_id, value, trace_rk) VALUES (?, ?, ?)");
  const keyId = db.prepare("SELECT key_id FROM trace_keys WHERE kind = ? AND key = ?");
  const internKey = db.prepare("INSERT OR IGNORE INTO trace_keys (kind, key) VALUES (?, ?)");
  // Key ids as looked up or interned, by kind: a lookup per index entry was a quarter of this
  // writer's time for a one-span trace (bench:core; four entries a trace). Interned keys are never
  // deleted, so an id stays right once committed; one interned by a transaction that rolls back
  // does not, so the caller forgets them all on a rollback (`forget`). Bounded, for an app that
  // makes up tag keys.
  const keyIds = [new Map<string, number>(), new Map<string, number>()];
  const idOf = (kind: number, key: string): number => {
    const ids = keyIds[kind] as Map<string, number>;
    let id = ids.get(key);
    if (id !== undefined) return id;
    let row = keyId.get(kind, key) as { key_id: number } | undefined;
    if (!row) {
      internKey.run(kind, key);
      row = keyId.get(kind, key) as { key_id: number };
    }
    id = row.key_id;
    if (ids.size >= 10_000) ids.clear();
    ids.set(key, id);
    return id;
  };
  const insertSpan = db.prepare(
    "INSERT INTO spans (span_key, name, span_type, status, content) VALUES (?, ?, ?, ?, ?)",
  );
  const insertAssessment = db.prepare(
    `INSERT OR REPLACE INTO assessments (assessment_id, trace_rk, span_id, name, kind, source_type, source_id, create_time, valid, content)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const entry = (kind: number, key: string, value: string, rk: number): void => {
    insertEntry.run(idOf(kind, key), value, rk);
  };
  const write = (batch: SerializedBatch, replace: boolean): SerializedBatch | null => {
    // the batch's one decoding step: what to change when the app thread sends another shape
    const records = typeof batch.records === "string" ? (JSON.parse(batch.records) as TraceRecord[]) : batch.records;
    const contents = batch.contents;
    const setAside: TraceRecord[] = [];
    const setAsideContents: string[] = [];
    let next = 0;
    for (const r of records) {
      const spans = r[11];
      if (spans.length > SPAN_KEYS_PER_TRACE) {
        throw new Error(
          `trace ${r[0]} has ${spans.length} spans; the embedded store keeps at most ${SPAN_KEYS_PER_TRACE}`,
        );
      }
      if (replace) deleteTrace.run(r[0]);
      else if (exists.get(r[0])) {
        // stored already: for the app's thread to merge
        setAside.push(r);
        for (let i = 0; i < spans.length; i++) setAsideContents.push(contents[next + i] as string);
        next += spans.length;
        continue;
      }
      // the inputs and outputs metadata are columns of their own, 0 when equal to the preview
      // (0n: a JavaScript number would be bound as a REAL, 8 bytes, where the integer 0 takes
      // none), and so is the schema version
      const tags = r[8];
      const metadata = r[9];
      let metadataJson: string;
      let inputs: string | bigint | null = null;
      let outputs: string | bigint | null = null;
      let schemaVersion: string | null = null;
      if (INPUTS in metadata || OUTPUTS in metadata || SCHEMA_VERSION in metadata) {
        const rest: Record<string, string> = {};
        for (const k in metadata) {
          if (k !== INPUTS && k !== OUTPUTS && k !== SCHEMA_VERSION) rest[k] = metadata[k] as string;
        }
        metadataJson = JSON.stringify(rest);
        const i = metadata[INPUTS];
        const o = metadata[OUTPUTS];
        if (i !== undefined) inputs = i === r[6] ? 0n : i;
        if (o !== undefined) outputs = o === r[7] ? 0n : o;
        schemaVersion = metadata[SCHEMA_VERSION] ?? null;
      } else {
        metadataJson = JSON.stringify(metadata);
      }
      const rk = Number(
        insertTrace.run(
          r[0],
          r[1],
          r[2],
          r[3],
          r[4],
          r[5],
          r[6],
          r[7],
          JSON.stringify(tags),
          metadataJson,
          inputs,
          outputs,
          schemaVersion,
        ).lastInsertRowid,
      );
      if (rk >= MAX_TRACE_KEY) throw new Error(`the embedded store's trace keys reached ${MAX_TRACE_KEY}`);
      for (const k in tags) entry(TAG, k, tags[k] as string, rk);
      for (const k in metadata) if (!UNINDEXED.has(k)) entry(METADATA, k, metadata[k] as string, rk);
      const first = rk * SPAN_KEYS_PER_TRACE;
      for (let i = 0; i < spans.length; i++) {
        const sp = spans[i] as TraceRecord[11][number];
        insertSpan.run(first + i, sp[2], sp[3], sp[4], contents[next++] as string);
      }
      for (const a of r[10]) insertAssessment.run(a[0], rk, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    }
    return setAside.length === 0 ? null : { records: JSON.stringify(setAside), contents: setAsideContents };
  };
  return Object.assign(write, {
    forget: (): void => {
      for (const ids of keyIds) ids.clear();
    },
  });
}

/**
 * Writes one {@link SerializedBatch} inside the caller's transaction (see {@link createBatchWriter});
 * `forget` must be called when that transaction rolls back.
 */
export type BatchWriter = ((batch: SerializedBatch, replace: boolean) => SerializedBatch | null) & {
  forget(): void;
};
