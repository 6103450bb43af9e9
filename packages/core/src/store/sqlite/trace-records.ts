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
 * One hand-off frame ({@link packTraces}): the strings of its traces, and their numbers, every one
 * a 32-bit integer (the ring keeps them as such, handoff-ring.ts).
 */
export interface PackedFrame {
  readonly strings: readonly string[];
  readonly nums: ArrayLike<number>;
}

/** A double's bits as two 32-bit integers (little-endian order: low half first), for {@link packTraces}. */
const timeBits = new Float64Array(1);
const timeHalves = new Int32Array(timeBits.buffer);

/**
 * Turns traces into one hand-off frame, the only work the app's thread does for the embedded
 * store besides copying it into the ring. Every string of a trace goes as it is — ids, names,
 * each span attribute's value (JSON text already), the previews, each tag and metadata key and
 * value — and beside them the numbers of every trace and span, which also say which optional
 * strings follow and how many pairs. Nothing
 * is JSON-encoded here (the rare assessments and span events aside): the writer thread builds the
 * stored JSON ({@link unpackFrame}), so escaping (the attribute values' every quote becomes \"
 * inside a span's JSON) is the writer's work, not the app's.
 *
 * Per trace, its strings: traceId, experimentId, state, [clientRequestId], [requestPreview],
 * [responsePreview], [assessments JSON], the tags and the metadata as key, value, …; its numbers:
 * requestTime(2), flags, [executionDuration(2)], spans, tags, metadata, tagsSame, metadataSame; flags:
 * 1 clientRequestId, 2 request preview, 4 response preview, 8 assessments, 16 the tags have the
 * previous trace's keys, 32 so has the metadata (then only the values go), 64 executionDuration.
 * Per span, its strings: [otelTraceId], spanId, [name], [status code], [status message], [span
 * type], [parentId], [events JSON], the attributes as key, value, …; its numbers: startTimeNs(2),
 * flags, [endTimeNs(2)], attributes, attributesSame, fieldsSame; flags: 1 parent, 2 events, 4 the
 * previous span's attribute keys (only the values go), 8 the previous span's trace id, 16 endTimeNs.
 * A time or duration `(2)` goes as the two 32-bit halves of its double, low first: they give the
 * value back bit for bit. The numbers go as they are, 32-bit integers, beside the strings (the
 * ring keeps them as words): formatted as one comma-separated string they were half of this
 * function's time (bench:core: ~0.8 µs of ~1.6 µs for a one-span trace), and the writer thread
 * parsed them back.
 *
 * The `…Same` numbers are bit masks of values equal to the previous trace's (or span's) value at
 * the same place, which are then not sent (only with the same keys; the first 30 values):
 * `fieldsSame` for the name, status code, status message and span type. Keys and most values
 * repeat from trace to trace (the same integration writes the same attributes, the same trace name,
 * user and source), and each string costs the app's thread a copy into the frame.
 */
export function packTraces(traces: readonly Trace[]): { strings: string[]; nums: number[] } {
  const out: string[] = [];
  const nums: number[] = [];
  const time = timeBits;
  const half = timeHalves;
  const same = (a: readonly string[], b: readonly string[] | undefined): boolean => {
    if (b === undefined || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  /** Pushes the values (and with `keysToo` the keys); returns the mask of values not sent. */
  const pushValues = (
    keys: readonly string[],
    values: readonly string[],
    keysToo: boolean,
    last: readonly string[] | undefined,
  ): number => {
    if (keysToo) {
      for (let i = 0; i < keys.length; i++) out.push(keys[i] as string, values[i] as string);
      return 0;
    }
    let mask = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as string;
      if (i < 30 && last !== undefined && v === last[i]) mask |= 1 << i;
      else out.push(v);
    }
    return mask;
  };
  let lastTagKeys: string[] | undefined;
  let lastMetadataKeys: string[] | undefined;
  let lastAttributeKeys: string[] | undefined;
  let lastTagValues: string[] | undefined;
  let lastMetadataValues: string[] | undefined;
  let lastAttributeValues: string[] | undefined;
  let lastOtelTraceId: string | undefined;
  let lastFields: string[] = [];
  for (const t of traces) {
    const info = t.info;
    const tags = info.tags;
    const metadata = info.traceMetadata;
    const tagKeys = Object.keys(tags);
    const metadataKeys = Object.keys(metadata);
    const tagValues = Object.values(tags) as string[];
    const metadataValues = Object.values(metadata) as string[];
    const sameTagKeys = same(tagKeys, lastTagKeys);
    const sameMetadataKeys = same(metadataKeys, lastMetadataKeys);
    const spans = t.data.spans;
    const assessments = info.assessments;
    const client = info.clientRequestId;
    const request = info.requestPreview;
    const response = info.responsePreview;
    const duration = info.executionDuration;
    const flags =
      (client === null ? 0 : 1) |
      (request === null ? 0 : 2) |
      (response === null ? 0 : 4) |
      (assessments.length === 0 ? 0 : 8) |
      (sameTagKeys ? 16 : 0) |
      (sameMetadataKeys ? 32 : 0) |
      (duration === null ? 0 : 64);
    time[0] = info.requestTime;
    nums.push(half[0] as number, half[1] as number, flags);
    if (duration !== null) {
      time[0] = duration;
      nums.push(half[0] as number, half[1] as number);
    }
    nums.push(spans.length, tagKeys.length, metadataKeys.length);
    out.push(info.traceId, info.experimentId, info.state);
    if (client !== null) out.push(client);
    if (request !== null) out.push(request);
    if (response !== null) out.push(response);
    if (assessments.length > 0) out.push(JSON.stringify(assessments.map(assessmentRecord)));
    const tagsSame = pushValues(tagKeys, tagValues, !sameTagKeys, lastTagValues);
    const metadataSame = pushValues(metadataKeys, metadataValues, !sameMetadataKeys, lastMetadataValues);
    nums.push(tagsSame, metadataSame);
    lastTagKeys = tagKeys;
    lastMetadataKeys = metadataKeys;
    lastTagValues = tagValues;
    lastMetadataValues = metadataValues;
    for (const s of spans) {
      const r = s.rawRecord();
      const attrs = r.attributes;
      const keys = Object.keys(attrs);
      const values = Object.values(attrs) as string[];
      const sameKeys = same(keys, lastAttributeKeys);
      const parent = r.parentId;
      const events = r.events;
      const sameTrace = r.otelTraceId === lastOtelTraceId;
      const end = r.endTimeNs;
      time[0] = r.startTimeNs;
      nums.push(
        half[0] as number,
        half[1] as number,
        (parent === null ? 0 : 1) |
          (events.length === 0 ? 0 : 2) |
          (sameKeys ? 4 : 0) |
          (sameTrace ? 8 : 0) |
          (end === null ? 0 : 16),
      );
      if (end !== null) {
        time[0] = end;
        nums.push(half[0] as number, half[1] as number);
      }
      nums.push(keys.length);
      if (!sameTrace) out.push(r.otelTraceId);
      out.push(r.spanId);
      const fields = [r.name, r.status.statusCode, r.status.description, s.spanType as string];
      let fieldsSame = 0;
      for (let i = 0; i < 4; i++) {
        if (fields[i] === lastFields[i]) fieldsSame |= 1 << i;
        else out.push(fields[i] as string);
      }
      if (parent !== null) out.push(parent);
      if (events.length > 0) out.push(JSON.stringify(events.map((e) => e.toDict())));
      const attributesSame = pushValues(keys, values, !sameKeys, lastAttributeValues);
      nums.push(attributesSame, fieldsSame);
      lastAttributeKeys = keys;
      lastAttributeValues = values;
      lastOtelTraceId = r.otelTraceId;
      lastFields = fields;
    }
  }
  return { strings: out, nums };
}

/**
 * A frame ({@link packTraces}) as the batch writer takes them: the records, and each
 * span's stored JSON, exactly `JSON.stringify(span.toDict())`. Runs on the writer thread (sent as
 * source text: it references nothing outside its body) and on the app's thread at exit.
 */
export function unpackFrame(frame: PackedFrame): SerializedBatch {
  const b64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");
  const { strings, nums } = frame;
  let at = 0;
  const num = (): number => nums[at++] as number;
  // a time comes as its double's two 32-bit halves
  const bits = new Float64Array(1);
  const halves = new Int32Array(bits.buffer);
  const time = (): number => {
    halves[0] = num();
    halves[1] = num();
    return bits[0] as number;
  };
  const records: TraceRecord[] = [];
  const contents: string[] = [];
  let i = 0;
  const next = (): string => strings[i++] as string;
  // the keys and values of the previous trace's tags and metadata, and of the previous span's
  // attributes; its trace id (and base64 form) and its name, status code, message and type
  const lastTagKeys: string[] = [];
  const lastMetadataKeys: string[] = [];
  const lastAttributeKeys: string[] = [];
  const lastTagValues: string[] = [];
  const lastMetadataValues: string[] = [];
  const lastAttributeValues: string[] = [];
  let lastOtelTraceId = "";
  let lastTraceB64 = "";
  const lastFields = ["", "", "", ""];
  /** Reads `count` pairs (or, with `sameKeys`, values for the previous keys, `same` of them as they were). */
  const readPairs = (
    count: number,
    sameKeys: boolean,
    same: number,
    keys: string[],
    values: string[],
  ): Record<string, string> => {
    const out: Record<string, string> = {};
    if (!sameKeys) keys.length = 0;
    for (let k = 0; k < count; k++) {
      if (sameKeys) {
        const v = k < 30 && same & (1 << k) ? (values[k] as string) : next();
        values[k] = v;
        out[keys[k] as string] = v;
      } else {
        const key = next();
        const v = next();
        keys[k] = key;
        values[k] = v;
        out[key] = v;
      }
    }
    values.length = count;
    return out;
  };
  while (i < strings.length) {
    const requestTime = time();
    const flags = num();
    const duration = flags & 64 ? time() : null;
    const spanCount = num();
    const tagCount = num();
    const metadataCount = num();
    const traceId = next();
    const experimentId = next();
    const state = next();
    const client = flags & 1 ? next() : null;
    const request = flags & 2 ? next() : null;
    const response = flags & 4 ? next() : null;
    const assessments = flags & 8 ? (JSON.parse(next()) as TraceRecord[10]) : [];
    const tags = readPairs(tagCount, (flags & 16) !== 0, num(), lastTagKeys, lastTagValues);
    const metadata = readPairs(metadataCount, (flags & 32) !== 0, num(), lastMetadataKeys, lastMetadataValues);
    const spans: TraceRecord[11] = [];
    for (let k = 0; k < spanCount; k++) {
      const start = time();
      const spanFlags = num();
      const end = spanFlags & 16 ? time() : null;
      const attributeCount = num();
      const attributesSame = num();
      const fieldsSame = num();
      if (!(spanFlags & 8)) {
        lastOtelTraceId = next();
        lastTraceB64 = b64(lastOtelTraceId);
      }
      const spanId = next();
      for (let f = 0; f < 4; f++) if (!(fieldsSame & (1 << f))) lastFields[f] = next();
      const [name, code, message, spanType] = lastFields as [string, string, string, string];
      const parent = spanFlags & 1 ? next() : null;
      const events = spanFlags & 2 ? (JSON.parse(next()) as unknown[]) : [];
      const attributes = readPairs(
        attributeCount,
        (spanFlags & 4) !== 0,
        attributesSame,
        lastAttributeKeys,
        lastAttributeValues,
      );
      contents.push(
        JSON.stringify({
          trace_id: lastTraceB64,
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
      requestTime,
      duration,
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
