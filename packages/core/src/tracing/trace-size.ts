import { SpanAttributeKey } from "../constants.js";
import type { SpanRecord } from "../entities/span.js";
import { type EventAttributeValue, SpanEvent } from "../entities/span-event.js";
import type { TraceInfo } from "../entities/trace-info.js";
import { processSingleton } from "../internal/process-state.js";

/**
 * The size budget of a finished trace. Single strings are already capped when recorded (see
 * `setMaxPayloadStringChars`), but a trace made of many large values would still be stored and
 * sent whole; a span over its budget, then a trace over its budget, has its largest values cut,
 * largest first, until it fits.
 *
 * MLflow's own marker for a cut value is a `...` suffix (`TRUNCATION_SUFFIX` in
 * `mlflow/tracing/constant.py`, used for previews and metadata); a cut value here ends with it,
 * followed by how much was cut: `...[truncated 123456 bytes]`. A cut attribute becomes a JSON
 * string holding the start of its former JSON text (a prefix of JSON is not JSON). The trace's
 * metadata `tracewright.trace.truncation` says how many values were cut and how many bytes, and
 * `getExportStats().truncated` counts the traces cut.
 */

/** Default budget of one span: 4 MiB of attribute and event text. */
export const DEFAULT_MAX_SPAN_BYTES = 4 * 1024 * 1024;
/** Default budget of one trace: 16 MiB. */
export const DEFAULT_MAX_TRACE_BYTES = 16 * 1024 * 1024;
/** Trace metadata key recording what the size budget cut (a JSON object). */
export const TRUNCATION_METADATA_KEY = "tracewright.trace.truncation";

/** MLflow's truncation suffix. */
const TRUNCATION_SUFFIX = "...";
/**
 * A cut value keeps at least this many characters: MLflow's own preview length for request and
 * response previews (`TRACE_REQUEST_RESPONSE_PREVIEW_MAX_LENGTH_OSS`).
 */
const MIN_KEPT_CHARS = 1000;
/** Values at most this large are never cut: cutting them would save nothing. */
const MIN_CUTTABLE_BYTES = 2 * MIN_KEPT_CHARS;

/** Attributes that describe the span rather than hold the user's data; tiny, never cut. */
const STRUCTURAL = new Set<string>([
  SpanAttributeKey.REQUEST_ID,
  SpanAttributeKey.EXPERIMENT_ID,
  SpanAttributeKey.SPAN_TYPE,
  SpanAttributeKey.FUNCTION_NAME,
  SpanAttributeKey.CHAT_USAGE,
  SpanAttributeKey.MESSAGE_FORMAT,
  SpanAttributeKey.MODEL,
  SpanAttributeKey.PROVIDER,
]);

function bytesFromEnv(name: string, fallback: number): number {
  const raw = Number(process.env[name]);
  return Number.isFinite(raw) && raw > 0 ? raw : fallback;
}

/** Shared by every copy of core, so the setter applies to all of them. */
const limits = processSingleton("trace-size", () => ({
  maxSpanBytes: bytesFromEnv("TRACEWRIGHT_MAX_SPAN_BYTES", DEFAULT_MAX_SPAN_BYTES),
  maxTraceBytes: bytesFromEnv("TRACEWRIGHT_MAX_TRACE_BYTES", DEFAULT_MAX_TRACE_BYTES),
}));

/** @internal What the budget cut, for `getExportStats()`. */
export const truncationStats = processSingleton("trace-size.stats", () => ({ traces: 0, values: 0, bytes: 0 }));

/**
 * Sets the size budget of finished traces (defaults: 4 MiB per span, 16 MiB per trace, or
 * `TRACEWRIGHT_MAX_SPAN_BYTES` / `TRACEWRIGHT_MAX_TRACE_BYTES`). Sizes count the UTF-8 bytes of
 * attribute values (inputs, outputs, any attribute) and event attributes.
 */
export function setTraceSizeLimits(options: { maxSpanBytes?: number; maxTraceBytes?: number }): void {
  if (options.maxSpanBytes !== undefined) limits.maxSpanBytes = Math.max(1, options.maxSpanBytes);
  if (options.maxTraceBytes !== undefined) limits.maxTraceBytes = Math.max(1, options.maxTraceBytes);
}

/** One value that may be cut: an attribute, or a string attribute of an event. */
interface Piece {
  record: SpanRecord;
  key: string;
  /** Index in `record.events` for an event attribute; -1 for a span attribute. */
  event: number;
  bytes: number;
}

const utf8 = (s: string): number => Buffer.byteLength(s, "utf8");

/** An upper bound of a span's size from string lengths alone (a UTF-16 unit is at most 3 UTF-8 bytes). */
function upperBound(record: SpanRecord): number {
  let chars = record.name.length;
  for (const k in record.attributes) chars += k.length + (record.attributes[k] as string).length;
  for (const e of record.events) {
    chars += e.name.length;
    for (const k in e.attributes) {
      const v = e.attributes[k];
      chars += k.length + (typeof v === "string" ? v.length : 16);
    }
  }
  return chars * 3;
}

/** The exact pieces of a span and its total size. */
function measure(record: SpanRecord): { total: number; pieces: Piece[] } {
  let total = utf8(record.name);
  const pieces: Piece[] = [];
  for (const key in record.attributes) {
    const bytes = utf8(record.attributes[key] as string);
    total += utf8(key) + bytes;
    if (!STRUCTURAL.has(key) && bytes > MIN_CUTTABLE_BYTES) pieces.push({ record, key, event: -1, bytes });
  }
  record.events.forEach((e, i) => {
    total += utf8(e.name);
    for (const key in e.attributes) {
      const v = e.attributes[key];
      const bytes = typeof v === "string" ? utf8(v) : utf8(JSON.stringify(v));
      total += utf8(key) + bytes;
      if (typeof v === "string" && bytes > MIN_CUTTABLE_BYTES) pieces.push({ record, key, event: i, bytes });
    }
  });
  return { total, pieces };
}

/** Room left for the marker when planning a cut. */
const MARKER_ROOM = 40;

/** `s` cut to about `targetBytes` UTF-8 bytes, marker included; never splits a surrogate pair. */
function cutString(s: string, targetBytes: number): string {
  const bytes = utf8(s);
  if (bytes <= targetBytes) return s;
  let keep = Math.max(MIN_KEPT_CHARS, Math.floor(((targetBytes - MARKER_ROOM) * s.length) / bytes));
  if (keep >= s.length) return s;
  const code = s.charCodeAt(keep - 1);
  if (code >= 0xd800 && code <= 0xdbff) keep--;
  const kept = s.slice(0, keep);
  return `${kept}${TRUNCATION_SUFFIX}[truncated ${bytes - utf8(kept)} bytes]`;
}

/**
 * The result of `make(target)` that fits `targetBytes`: the first plan is proportional to the
 * characters, which multi-byte text and JSON escaping can overshoot, so it is corrected a few times.
 */
function fitBytes(make: (target: number) => string, targetBytes: number): string {
  let target = targetBytes;
  let out = make(target);
  for (let i = 0; i < 4; i++) {
    const over = utf8(out) - targetBytes;
    if (over <= 0) break;
    target -= over;
    out = make(target);
  }
  return out;
}

/** Cuts one piece to about `targetBytes`; returns its new size. */
function cut(piece: Piece, targetBytes: number): number {
  const { record, key } = piece;
  if (piece.event >= 0) {
    const event = record.events[piece.event] as SpanEvent;
    const original = event.attributes[key] as string;
    const value = fitBytes((t) => cutString(original, t), targetBytes);
    const attributes: Record<string, EventAttributeValue> = { ...event.attributes, [key]: value };
    record.events[piece.event] = new SpanEvent({ name: event.name, timestamp: event.timestamp, attributes });
    return utf8(value);
  }
  const json = record.attributes[key] as string;
  // a JSON string is cut as the string it holds; anything else as its JSON text
  let text = json;
  if (json.startsWith('"')) {
    try {
      text = JSON.parse(json) as string;
    } catch {
      // not valid JSON after all: cut the text as it is
    }
  }
  const encoded = fitBytes((t) => JSON.stringify(cutString(text, t - 2)), targetBytes);
  record.attributes[key] = encoded;
  // the untruncated value must not live on through the raw copy kept beside the JSON
  if (record.raw) {
    if (key === SpanAttributeKey.INPUTS) delete record.raw.inputs;
    if (key === SpanAttributeKey.OUTPUTS) delete record.raw.outputs;
  }
  return utf8(encoded);
}

/** Cuts the largest pieces first until `excess` bytes are saved; returns the bytes saved and values cut. */
function shed(pieces: Piece[], excess: number): { saved: number; values: number } {
  let saved = 0;
  let values = 0;
  pieces.sort((a, b) => b.bytes - a.bytes);
  for (const piece of pieces) {
    if (saved >= excess) break;
    const target = Math.max(MIN_KEPT_CHARS, piece.bytes - (excess - saved));
    const after = cut(piece, target);
    if (after >= piece.bytes) continue;
    saved += piece.bytes - after;
    piece.bytes = after;
    values++;
  }
  return { saved, values };
}

/**
 * @internal Applies the span and trace budgets to a finished trace's spans (in place), and notes
 * any cut in the trace's metadata. Cheap for traces far below the budgets: string lengths only.
 */
export function applySizeBudget(info: TraceInfo, records: readonly SpanRecord[]): void {
  const { maxSpanBytes, maxTraceBytes } = limits;
  // the common case, every trace far below the budgets, allocates nothing
  let boundTotal = 0;
  let spanOver = false;
  for (let i = 0; i < records.length; i++) {
    const bound = upperBound(records[i] as SpanRecord);
    boundTotal += bound;
    if (bound > maxSpanBytes) spanOver = true;
  }
  if (boundTotal <= maxTraceBytes && !spanOver) return;
  const bounds = records.map(upperBound);
  const traceOver = boundTotal > maxTraceBytes;
  let total = 0;
  let values = 0;
  let saved = 0;
  const all: Piece[] = [];
  records.forEach((record, i) => {
    // below both bounds, a span needs no exact measure
    if (!traceOver && (bounds[i] as number) <= maxSpanBytes) return;
    const m = measure(record);
    if (m.total > maxSpanBytes) {
      const r = shed(m.pieces, m.total - maxSpanBytes);
      m.total -= r.saved;
      values += r.values;
      saved += r.saved;
    }
    total += m.total;
    for (const p of m.pieces) if (p.bytes > MIN_CUTTABLE_BYTES) all.push(p);
  });
  if (traceOver && total > maxTraceBytes) {
    const r = shed(all, total - maxTraceBytes);
    values += r.values;
    saved += r.saved;
  }
  if (values === 0) return;
  truncationStats.traces++;
  truncationStats.values += values;
  truncationStats.bytes += saved;
  info.traceMetadata[TRUNCATION_METADATA_KEY] = JSON.stringify({
    truncated_values: values,
    truncated_bytes: saved,
    max_span_bytes: maxSpanBytes,
    max_trace_bytes: maxTraceBytes,
  });
}
