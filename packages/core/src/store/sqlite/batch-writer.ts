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
 * Returns a function that writes one {@link SerializedBatch} with `db`, inside the caller's
 * transaction. With `replace` false, a trace whose id is stored already is not written but
 * returned (as a batch of its own): it may be another process's part of the same distributed
 * trace, which only the app's thread can merge (trace-merge.ts); with `replace` true it replaces
 * the stored one. Returns null when nothing was set aside.
 *
 * This function is also the writer thread's code: it is sent to the worker as source text
 * (`Function.prototype.toString`), so it must reference nothing outside its own body.
 */
export function createBatchWriter(
  db: DatabaseSync,
): (batch: SerializedBatch, replace: boolean) => SerializedBatch | null {
  const exists = db.prepare("SELECT 1 FROM traces WHERE trace_id = ?");
  const deleteTrace = db.prepare("DELETE FROM traces WHERE trace_id = ?");
  const insertTrace = db.prepare(
    `INSERT INTO traces (trace_id, experiment_id, client_request_id, request_time, execution_duration, state, request_preview, response_preview)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTag = db.prepare("INSERT OR REPLACE INTO trace_tags (trace_rk, key, value) VALUES (?, ?, ?)");
  const insertMetadata = db.prepare("INSERT OR REPLACE INTO trace_metadata (trace_rk, key, value) VALUES (?, ?, ?)");
  const insertSpan = db.prepare(
    `INSERT INTO spans (trace_rk, position, span_id, parent_span_id, name, span_type, status, start_time_ns, end_time_ns, content)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAssessment = db.prepare(
    `INSERT OR REPLACE INTO assessments (assessment_id, trace_rk, span_id, name, kind, source_type, source_id, create_time, valid, content)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (batch, replace) => {
    const records = typeof batch.records === "string" ? (JSON.parse(batch.records) as TraceRecord[]) : batch.records;
    const contents = batch.contents;
    const setAside: TraceRecord[] = [];
    const setAsideContents: string[] = [];
    let next = 0;
    for (const r of records) {
      const spans = r[11];
      if (exists.get(r[0])) {
        if (!replace) {
          setAside.push(r);
          for (let i = 0; i < spans.length; i++) setAsideContents.push(contents[next + i] as string);
          next += spans.length;
          continue;
        }
        deleteTrace.run(r[0]); // the cascade clears every row of the stored copy
      }
      const rk = insertTrace.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]).lastInsertRowid;
      for (const k in r[8]) insertTag.run(rk, k, r[8][k] as string);
      for (const k in r[9]) insertMetadata.run(rk, k, r[9][k] as string);
      for (let i = 0; i < spans.length; i++) {
        const sp = spans[i] as TraceRecord[11][number];
        insertSpan.run(rk, i, sp[0], sp[1], sp[2], sp[3], sp[4], sp[5], sp[6], contents[next++] as string);
      }
      for (const a of r[10]) insertAssessment.run(a[0], rk, a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    }
    return setAside.length === 0 ? null : { records: JSON.stringify(setAside), contents: setAsideContents };
  };
}
