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
 * the embedded store besides copying them into the ring. The bulky strings — each span
 * attribute's value, the previews, the metadata values — go as they are, each a string of the
 * frame; the rest of a trace and of each span goes as a small JSON array saying how many of the
 * strings after it are its own. The writer thread builds the stored JSON from that
 * ({@link unpackFrame}): escaping those strings (the attribute values are JSON text, whose every
 * quote becomes \" inside a span's JSON) is the writer's work, not the app's.
 *
 * A frame: for each trace, `[traceId, experimentId, clientRequestId, requestTime,
 * executionDuration, state, tags, metadataKeys, assessments, spans, previews]` (`previews`: 0
 * none, 1 request, 2 response, 3 both), then the previews and the metadata values; then for each
 * span `[otelTraceId, spanId, parentId, name, startTimeNs, endTimeNs, events, status, spanType,
 * attributeKeys]`, then its attribute values.
 */
export function packTraces(traces: readonly Trace[]): string[] {
  const out: string[] = [];
  for (const t of traces) {
    const info = t.info;
    const metadata = info.traceMetadata;
    const metadataKeys = Object.keys(metadata);
    const request = info.requestPreview;
    const response = info.responsePreview;
    const spans = t.data.spans;
    out.push(
      JSON.stringify([
        info.traceId,
        info.experimentId,
        info.clientRequestId,
        info.requestTime,
        info.executionDuration,
        info.state,
        info.tags,
        metadataKeys,
        info.assessments.length === 0 ? 0 : info.assessments.map(assessmentRecord),
        spans.length,
        (request === null ? 0 : 1) + (response === null ? 0 : 2),
      ]),
    );
    if (request !== null) out.push(request);
    if (response !== null) out.push(response);
    for (const k of metadataKeys) out.push(metadata[k] as string);
    for (const s of spans) {
      const r = s.rawRecord();
      const attrs = r.attributes;
      const keys = Object.keys(attrs);
      out.push(
        JSON.stringify([
          r.otelTraceId,
          r.spanId,
          r.parentId,
          r.name,
          r.startTimeNs,
          r.endTimeNs,
          r.events.length === 0 ? 0 : r.events.map((e) => e.toDict()),
          r.status.toDict(),
          s.spanType,
          keys,
        ]),
      );
      for (const k of keys) out.push(attrs[k] as string);
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
  const records: TraceRecord[] = [];
  const contents: string[] = [];
  let i = 0;
  while (i < strings.length) {
    const h = JSON.parse(strings[i++] as string) as [
      string,
      string,
      string | null,
      number,
      number | null,
      string,
      Record<string, string>,
      string[],
      0 | TraceRecord[10],
      number,
      number,
    ];
    const request = h[10] & 1 ? (strings[i++] as string) : null;
    const response = h[10] & 2 ? (strings[i++] as string) : null;
    const metadata: Record<string, string> = {};
    for (const k of h[7]) metadata[k] = strings[i++] as string;
    const spans: TraceRecord[11] = [];
    for (let n = 0; n < h[9]; n++) {
      const sh = JSON.parse(strings[i++] as string) as [
        string,
        string,
        string | null,
        string,
        number,
        number | null,
        0 | unknown[],
        { code: string; message: string },
        string | null,
        string[],
      ];
      const attributes: Record<string, string> = {};
      for (const k of sh[9]) attributes[k] = strings[i++] as string;
      contents.push(
        JSON.stringify({
          trace_id: b64(sh[0]),
          span_id: b64(sh[1]),
          parent_span_id: sh[2] === null ? null : b64(sh[2]),
          name: sh[3],
          start_time_unix_nano: sh[4],
          end_time_unix_nano: sh[5],
          events: sh[6] === 0 ? [] : sh[6],
          status: sh[7],
          attributes,
        }),
      );
      // the status code as the span's column holds it: without the wire prefix
      spans.push([sh[1], sh[2], sh[3], sh[8], sh[7].code.replace(/^STATUS_CODE_/, ""), sh[4], sh[5]]);
    }
    records.push([
      h[0],
      h[1],
      h[2],
      h[3],
      h[4],
      h[5],
      request,
      response,
      h[6],
      metadata,
      h[8] === 0 ? [] : h[8],
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
