import { SpanAttributeKey, SpanType } from "../constants.js";
import { hexToBase64, idToHex, toMlflowTraceId } from "../internal/ids.js";
import { fromJson, toJson } from "../internal/json.js";
import { brandClass } from "../internal/process-state.js";
import type { Redactor } from "../tracing/redaction.js";
import { type EventAttributeValue, SpanEvent } from "./span-event.js";
import { SpanStatus } from "./span-status.js";

/** The data behind a span. Attribute values are JSON-encoded strings, as MLflow stores them. */
export interface SpanRecord {
  /** MLflow trace id (`tr-...`). */
  traceId: string;
  /** The 32-hex OpenTelemetry trace id. */
  otelTraceId: string;
  spanId: string;
  parentId: string | null;
  name: string;
  startTimeNs: number;
  endTimeNs: number | null;
  status: SpanStatus;
  attributes: Record<string, string>;
  events: SpanEvent[];
  /**
   * The last values given to setInputs / setOutputs / the token-usage attribute, kept beside
   * their JSON so the trace's previews and token totals need not parse it back. Not serialised.
   */
  raw?: { inputs?: unknown; outputs?: unknown; usage?: unknown };
  /** Parent span id in another OpenTelemetry tracer (an app's HTTP span), for OTLP export only. */
  remoteParentId?: string;
  /** Span types that calls nested directly under this span run untraced as (not serialised). */
  suppressedChildTypes?: ReadonlySet<string>;
  /** The redactor of the integration that made this span (not serialised; see tracing/redaction.ts). */
  redactor?: Redactor;
}

/** A span in MLflow's dict/JSON form (`Span.to_dict()`). */
export interface SpanDict {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  start_time_unix_nano: number;
  end_time_unix_nano: number | null;
  events: Array<{ name: string; time_unix_nano: number; attributes: Record<string, EventAttributeValue> }>;
  status: { code: string; message: string };
  attributes: Record<string, string>;
}

/** A finished span, read from a trace. Immutable. */
export class Span {
  /** @internal */
  protected readonly record: SpanRecord;

  /** @internal Build spans through the tracing APIs or {@link Span.fromDict}. */
  constructor(record: SpanRecord) {
    this.record = record;
  }

  /** The MLflow trace id (`tr-...`) this span belongs to. */
  get traceId(): string {
    return this.record.traceId;
  }
  /** Alias of {@link Span.traceId} (MLflow 2 naming). */
  get requestId(): string {
    return this.record.traceId;
  }
  /** 16 lowercase hex characters. */
  get spanId(): string {
    return this.record.spanId;
  }
  /** The parent's span id, or null for the root span. */
  get parentId(): string | null {
    return this.record.parentId;
  }
  get name(): string {
    return this.record.name;
  }
  /** Start, in nanoseconds since the epoch. */
  get startTimeNs(): number {
    return this.record.startTimeNs;
  }
  /** End, in nanoseconds since the epoch; null while the span is running. */
  get endTimeNs(): number | null {
    return this.record.endTimeNs;
  }
  get status(): SpanStatus {
    return this.record.status;
  }
  get events(): readonly SpanEvent[] {
    return this.record.events;
  }
  /** The span type (`"CHAT_MODEL"`, `"TOOL"`, or a custom string). */
  get spanType(): SpanType {
    const raw = this.record.attributes[SpanAttributeKey.SPAN_TYPE];
    return raw === undefined ? SpanType.UNKNOWN : decodeSpanType(raw);
  }
  get inputs(): unknown {
    return this.getAttribute(SpanAttributeKey.INPUTS) ?? null;
  }
  get outputs(): unknown {
    return this.getAttribute(SpanAttributeKey.OUTPUTS) ?? null;
  }
  /** All attributes, decoded. */
  get attributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.record.attributes)) out[k] = fromJson(v);
    return out;
  }

  /** @internal The value last set for inputs, outputs or token usage, when this process set it. */
  rawValue(kind: "inputs" | "outputs" | "usage"): unknown {
    return this.record.raw?.[kind];
  }

  /** @internal The parent span id in another OpenTelemetry tracer, when this trace joined one. */
  get remoteParentId(): string | undefined {
    return this.record.remoteParentId;
  }

  /** @internal Roughly how many bytes the span's data takes (attribute text and name). */
  approxSizeBytes(): number {
    let n = this.record.name.length + 64;
    const attributes = this.record.attributes;
    for (const key in attributes) n += (attributes[key] as string).length;
    return n;
  }

  /** @internal One attribute as stored (JSON text), without decoding. */
  rawAttribute(key: string): string | undefined {
    return this.record.attributes[key];
  }

  /**
   * @internal The record {@link toDict} encodes, not copied: for a serialiser that builds the
   * same JSON elsewhere (the embedded store's writer thread). Read-only.
   */
  rawRecord(): Readonly<SpanRecord> {
    return this.record;
  }

  /** One attribute, decoded; undefined when absent. */
  getAttribute(key: string): unknown {
    const raw = this.record.attributes[key];
    return raw === undefined ? undefined : fromJson(raw);
  }

  /** MLflow's dict form: ids base64-encoded, attribute values JSON-encoded strings. */
  toDict(): SpanDict {
    const r = this.record;
    return {
      trace_id: traceIdBase64(r.otelTraceId),
      span_id: hexToBase64(r.spanId),
      parent_span_id: r.parentId === null ? null : hexToBase64(r.parentId),
      name: r.name,
      start_time_unix_nano: r.startTimeNs,
      end_time_unix_nano: r.endTimeNs,
      events: r.events.length === 0 ? [] : r.events.map((e) => e.toDict()),
      status: r.status.toDict(),
      attributes: { ...r.attributes },
    };
  }

  /**
   * Reads a span dict written by MLflow (Python or TypeScript SDK) or by {@link Span.toDict}.
   * Accepts ids in base64, hex or `0x` form, and attribute values JSON-encoded or plain.
   */
  static fromDict(d: SpanDict | Record<string, unknown>): Span {
    return new Span(spanRecordFromDict(d as Record<string, unknown>));
  }
}

/** Span types as stored (JSON) to their names: a trace's spans repeat a handful of types. */
const decodedSpanTypes = new Map<string, SpanType>();
function decodeSpanType(raw: string): SpanType {
  let type = decodedSpanTypes.get(raw);
  if (type === undefined) {
    type = fromJson(raw) as SpanType;
    if (typeof type === "string" && decodedSpanTypes.size < 1000) decodedSpanTypes.set(raw, type);
  }
  return type;
}

/** The last trace id converted: the spans of a trace are written one after the other. */
let lastTraceIdHex = "";
let lastTraceIdBase64 = "";
function traceIdBase64(hex: string): string {
  if (hex !== lastTraceIdHex) {
    lastTraceIdBase64 = hexToBase64(hex);
    lastTraceIdHex = hex;
  }
  return lastTraceIdBase64;
}

function encodeAttributeValue(v: unknown): string {
  if (typeof v !== "string") return toJson(v);
  // Python writes JSON-encoded strings; MLflow's TS SDK writes plain values. Keep valid JSON as is.
  try {
    JSON.parse(v);
    return v;
  } catch {
    return JSON.stringify(v);
  }
}

/** @internal */
export function spanRecordFromDict(d: Record<string, unknown>): SpanRecord {
  const context = (d.context ?? {}) as Record<string, string>;
  const rawTraceId = (d.trace_id ?? context.trace_id) as string | undefined;
  const rawSpanId = (d.span_id ?? context.span_id) as string | undefined;
  const rawParent = (d.parent_span_id ?? d.parent_id ?? null) as string | null;
  if (typeof rawSpanId !== "string" || typeof d.name !== "string") {
    throw new TypeError("Invalid span dict: `span_id` and `name` are required.");
  }
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries((d.attributes ?? {}) as Record<string, unknown>)) {
    attributes[k] = encodeAttributeValue(v);
  }
  const otelTraceId = rawTraceId ? idToHex(rawTraceId, 16) : "0".repeat(32);
  const requestId = attributes[SpanAttributeKey.REQUEST_ID];
  const traceId = requestId ? String(fromJson(requestId)) : toMlflowTraceId(otelTraceId);
  const status = d.status as { code?: string; message?: string } | undefined;
  const statusCode = (d.status_code as string | undefined) ?? status?.code ?? "UNSET";
  const statusMessage = (d.status_message as string | undefined) ?? status?.message ?? "";
  return {
    traceId,
    otelTraceId,
    spanId: idToHex(rawSpanId, 8),
    parentId: rawParent ? idToHex(rawParent, 8) : null,
    name: d.name,
    startTimeNs: Number(d.start_time_unix_nano ?? d.start_time ?? 0),
    endTimeNs: d.end_time_unix_nano != null || d.end_time != null ? Number(d.end_time_unix_nano ?? d.end_time) : null,
    status: SpanStatus.from({ code: statusCode, message: statusMessage }),
    attributes,
    events: ((d.events ?? []) as Array<Parameters<typeof SpanEvent.fromDict>[0]>).map((e) => SpanEvent.fromDict(e)),
  };
}

// `instanceof` recognises spans made by another copy of core loaded in the same process.
brandClass(Span, "Span");
