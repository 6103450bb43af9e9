import { Assessment } from "../../entities/assessment.js";
import { Span } from "../../entities/span.js";
import { Trace } from "../../entities/trace.js";
import { TraceData } from "../../entities/trace-data.js";
import { TraceInfo, type TraceState } from "../../entities/trace-info.js";
import type { SerializedBatch, TraceRecord } from "./batch-writer.js";

const assessmentRecord = (a: Assessment): TraceRecord[10][number] => [
  a.assessmentId,
  a.spanId,
  a.name,
  a.type,
  a.source.sourceType,
  a.source.sourceId,
  a.createTime,
  a.valid ? 1 : 0,
  JSON.stringify(a.toDict()),
];

/**
 * Traces as the batch writer takes them, made on this thread: what the writer thread makes of a
 * frame, made here (inline writes: the exit path, merges, a runtime without worker threads).
 */
export function serializeTraces(traces: readonly Trace[]): SerializedBatch {
  return unpackFrame(packTraces(traces));
}

/**
 * Turns traces into the strings of one hand-off frame, the only work the app's thread does for
 * the embedded store besides copying them into the ring. Every string of a trace goes as it is —
 * ids, names, each span attribute's value (JSON text already), the previews, each tag and
 * metadata key and value — and the numbers of a trace and of each span as one short
 * comma-separated string that also says which optional strings follow and how many pairs. Nothing
 * is JSON-encoded here (the rare assessments and span events aside): the writer thread builds the
 * stored JSON ({@link unpackFrame}), so escaping (the attribute values' every quote becomes \"
 * inside a span's JSON) is the writer's work, not the app's.
 *
 * Per trace: `"requestTime,executionDuration,spans,tags,metadata,flags"`, traceId, experimentId,
 * state, [clientRequestId], [requestPreview], [responsePreview], [assessments JSON], the tags and
 * the metadata as key, value, …; flags: 1 clientRequestId, 2 request preview, 4 response preview,
 * 8 assessments, 16 the tags have the previous trace's keys, 32 so has the metadata (then only
 * the values go). Per span: `"startTimeNs,endTimeNs,attributes,flags"`, otelTraceId, spanId,
 * name, status code, status message, span type, [parentId], [events JSON], the attributes as key,
 * value, …; flags: 1 parent, 2 events, 4 the previous span's attribute keys (only the values go).
 * An absent number is empty. Keys repeat from trace to trace (the same integration writes the
 * same attributes), and each string costs the app's thread a copy and a length word.
 */
export function packTraces(traces: readonly Trace[]): string[] {
  const out: string[] = [];
  const same = (a: readonly string[], b: readonly string[] | undefined): boolean => {
    if (b === undefined || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  let lastTagKeys: string[] | undefined;
  let lastMetadataKeys: string[] | undefined;
  let lastAttributeKeys: string[] | undefined;
  for (const t of traces) {
    const info = t.info;
    const tags = info.tags;
    const metadata = info.traceMetadata;
    const tagKeys = Object.keys(tags);
    const metadataKeys = Object.keys(metadata);
    const sameTagKeys = same(tagKeys, lastTagKeys);
    const sameMetadataKeys = same(metadataKeys, lastMetadataKeys);
    lastTagKeys = tagKeys;
    lastMetadataKeys = metadataKeys;
    const spans = t.data.spans;
    const assessments = info.assessments;
    const client = info.clientRequestId;
    const request = info.requestPreview;
    const response = info.responsePreview;
    const flags =
      (client === null ? 0 : 1) |
      (request === null ? 0 : 2) |
      (response === null ? 0 : 4) |
      (assessments.length === 0 ? 0 : 8) |
      (sameTagKeys ? 16 : 0) |
      (sameMetadataKeys ? 32 : 0);
    out.push(
      `${info.requestTime},${info.executionDuration ?? ""},${spans.length},${tagKeys.length},${metadataKeys.length},${flags}`,
      info.traceId,
      info.experimentId,
      info.state,
    );
    if (client !== null) out.push(client);
    if (request !== null) out.push(request);
    if (response !== null) out.push(response);
    if (assessments.length > 0) out.push(JSON.stringify(assessments.map(assessmentRecord)));
    if (sameTagKeys) for (const k of tagKeys) out.push(tags[k] as string);
    else for (const k of tagKeys) out.push(k, tags[k] as string);
    if (sameMetadataKeys) for (const k of metadataKeys) out.push(metadata[k] as string);
    else for (const k of metadataKeys) out.push(k, metadata[k] as string);
    for (const s of spans) {
      const r = s.rawRecord();
      const attrs = r.attributes;
      const keys = Object.keys(attrs);
      const sameKeys = same(keys, lastAttributeKeys);
      lastAttributeKeys = keys;
      const parent = r.parentId;
      const events = r.events;
      out.push(
        `${r.startTimeNs},${r.endTimeNs ?? ""},${keys.length},${(parent === null ? 0 : 1) | (events.length === 0 ? 0 : 2) | (sameKeys ? 4 : 0)}`,
        r.otelTraceId,
        r.spanId,
        r.name,
        r.status.statusCode,
        r.status.description,
        s.spanType,
      );
      if (parent !== null) out.push(parent);
      if (events.length > 0) out.push(JSON.stringify(events.map((e) => e.toDict())));
      if (sameKeys) for (const k of keys) out.push(attrs[k] as string);
      else for (const k of keys) out.push(k, attrs[k] as string);
    }
  }
  return out;
}

/**
 * A frame's strings ({@link packTraces}) as the batch writer takes them: the records, and each
 * span's stored JSON, exactly `JSON.stringify(span.toDict())`. Runs on the writer thread (sent as
 * source text: it references nothing outside its body) and on the app's thread at exit.
 */
export function unpackFrame(strings: readonly string[]): SerializedBatch {
  const b64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");
  const num = (text: string | undefined): number | null => (text === "" || text === undefined ? null : Number(text));
  const records: TraceRecord[] = [];
  const contents: string[] = [];
  let i = 0;
  const next = (): string => strings[i++] as string;
  // the keys of the previous trace's tags and metadata, and of the previous span's attributes
  let lastTagKeys: string[] = [];
  let lastMetadataKeys: string[] = [];
  let lastAttributeKeys: string[] = [];
  while (i < strings.length) {
    const n = next().split(",");
    const spanCount = Number(n[2]);
    const tagCount = Number(n[3]);
    const metadataCount = Number(n[4]);
    const flags = Number(n[5]);
    const traceId = next();
    const experimentId = next();
    const state = next();
    const client = flags & 1 ? next() : null;
    const request = flags & 2 ? next() : null;
    const response = flags & 4 ? next() : null;
    const assessments = flags & 8 ? (JSON.parse(next()) as TraceRecord[10]) : [];
    const tags: Record<string, string> = {};
    if (!(flags & 16)) lastTagKeys = [];
    for (let k = 0; k < tagCount; k++) {
      if (flags & 16) tags[lastTagKeys[k] as string] = next();
      else {
        const key = next();
        lastTagKeys.push(key);
        tags[key] = next();
      }
    }
    const metadata: Record<string, string> = {};
    if (!(flags & 32)) lastMetadataKeys = [];
    for (let k = 0; k < metadataCount; k++) {
      if (flags & 32) metadata[lastMetadataKeys[k] as string] = next();
      else {
        const key = next();
        lastMetadataKeys.push(key);
        metadata[key] = next();
      }
    }
    const spans: TraceRecord[11] = [];
    for (let k = 0; k < spanCount; k++) {
      const m = next().split(",");
      const start = Number(m[0]);
      const end = num(m[1]);
      const attributeCount = Number(m[2]);
      const spanFlags = Number(m[3]);
      const otelTraceId = next();
      const spanId = next();
      const name = next();
      const code = next();
      const message = next();
      const spanType = next();
      const parent = spanFlags & 1 ? next() : null;
      const events = spanFlags & 2 ? (JSON.parse(next()) as unknown[]) : [];
      const attributes: Record<string, string> = {};
      if (!(spanFlags & 4)) lastAttributeKeys = [];
      for (let a = 0; a < attributeCount; a++) {
        if (spanFlags & 4) attributes[lastAttributeKeys[a] as string] = next();
        else {
          const key = next();
          lastAttributeKeys.push(key);
          attributes[key] = next();
        }
      }
      contents.push(
        JSON.stringify({
          trace_id: b64(otelTraceId),
          span_id: b64(spanId),
          parent_span_id: parent === null ? null : b64(parent),
          name,
          start_time_unix_nano: start,
          end_time_unix_nano: end,
          events,
          status: { code: `STATUS_CODE_${code}`, message },
          attributes,
        }),
      );
      spans.push([spanId, parent, name, spanType, code, start, end]);
    }
    records.push([
      traceId,
      experimentId,
      client,
      Number(n[0]),
      num(n[1]),
      state,
      request,
      response,
      tags,
      metadata,
      assessments,
      spans,
    ]);
  }
  return { records, contents };
}

/** One assessment as the writer's record (the manage path writes assessments itself). */
export const serializeAssessment = assessmentRecord;

/** The traces of a serialised batch, rebuilt (for the rare trace that must be merged). */
export function tracesFromBatch(batch: SerializedBatch): Trace[] {
  const records = typeof batch.records === "string" ? (JSON.parse(batch.records) as TraceRecord[]) : batch.records;
  let next = 0;
  return records.map((r) => {
    const spans = r[11].map(() =>
      Span.fromDict(JSON.parse(batch.contents[next++] as string) as Record<string, unknown>),
    );
    const info = new TraceInfo({
      traceId: r[0],
      experimentId: r[1],
      clientRequestId: r[2],
      requestTime: r[3],
      executionDuration: r[4],
      state: r[5] as TraceState,
      requestPreview: r[6],
      responsePreview: r[7],
      tags: r[8],
      traceMetadata: r[9],
      assessments: r[10].map((a) => Assessment.fromDict(JSON.parse(a[8]) as Record<string, unknown>)),
    });
    return new Trace(info, new TraceData(spans));
  });
}
