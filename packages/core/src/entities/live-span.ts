import type {
  Attributes,
  Exception,
  Link,
  Span as OtelSpan,
  SpanStatus as OtelSpanStatus,
  SpanContext,
  TimeInput,
} from "@opentelemetry/api";
import { SpanAttributeKey, type SpanType } from "../constants.js";
import { nowNs, timeInputToNs } from "../internal/clock.js";
import { toJson } from "../internal/json.js";
import { log } from "../internal/log.js";
import { brandClass } from "../internal/process-state.js";
import { needsRedaction, redactValue } from "../tracing/redaction.js";
import { Span, type SpanRecord } from "./span.js";
import { SpanEvent } from "./span-event.js";
import { SpanStatus, SpanStatusCode } from "./span-status.js";

/** Options for {@link LiveSpan.end}. */
export interface EndSpanOptions {
  outputs?: unknown;
  attributes?: Record<string, unknown>;
  status?: SpanStatus | SpanStatusCode | `${SpanStatusCode}`;
  /** End time in nanoseconds since the epoch; defaults to now. */
  endTimeNs?: number;
}

/** @internal Receives span ends; implemented by the trace registry. */
export interface SpanEndListener {
  onSpanEnd(span: LiveSpan): void;
}

const TRACE_FLAG_SAMPLED = 1;

/**
 * A span in progress. Set its inputs, outputs, attributes and status while it runs; it becomes
 * an immutable {@link Span} in the trace once ended. A LiveSpan is also an OpenTelemetry
 * `Span`, so OpenTelemetry instrumentations running inside it see it as their parent.
 */
export class LiveSpan extends Span implements OtelSpan {
  private readonly listener: SpanEndListener;
  private context: SpanContext | undefined;

  /** @internal Create spans with `startSpan`, `withSpan`, `trace` or the client API. */
  constructor(record: SpanRecord, listener: SpanEndListener) {
    super(record);
    this.listener = listener;
  }

  private rawValues(): NonNullable<SpanRecord["raw"]> {
    if (this.record.raw === undefined) this.record.raw = {};
    return this.record.raw;
  }

  /**
   * Keeps an object given as inputs or outputs beside its JSON, for the trace's previews, which
   * would otherwise parse the JSON back. A scalar's JSON says all it does: none is kept for it
   * (the common case, which then allocates nothing more), and one kept before is forgotten.
   */
  private keepRaw(kind: "inputs" | "outputs", value: unknown): void {
    if (typeof value === "object" && value !== null) this.rawValues()[kind] = value;
    else if (this.record.raw !== undefined) this.record.raw[kind] = undefined;
  }

  /** True once {@link LiveSpan.end} was called. */
  get ended(): boolean {
    return this.record.endTimeNs !== null;
  }

  private writable(what: string): boolean {
    if (this.record.endTimeNs === null) return true;
    log.debug(`ignored ${what} on ended span "${this.record.name}"`);
    return false;
  }

  setInputs(inputs: unknown): this {
    if (!this.writable("setInputs")) return this;
    const value = needsRedaction(this.record.redactor)
      ? redactValue(this.record.redactor, inputs, { target: "inputs", spanName: this.record.name })
      : inputs;
    if (value === undefined) {
      delete this.record.attributes[SpanAttributeKey.INPUTS];
      return this;
    }
    this.record.attributes[SpanAttributeKey.INPUTS] = toJson(value);
    this.keepRaw("inputs", value);
    return this;
  }

  setOutputs(outputs: unknown): this {
    if (!this.writable("setOutputs")) return this;
    const value = needsRedaction(this.record.redactor)
      ? redactValue(this.record.redactor, outputs, { target: "outputs", spanName: this.record.name })
      : outputs;
    if (value === undefined) {
      delete this.record.attributes[SpanAttributeKey.OUTPUTS];
      return this;
    }
    this.record.attributes[SpanAttributeKey.OUTPUTS] = toJson(value);
    this.keepRaw("outputs", value);
    return this;
  }

  /** Sets one attribute; the value may be any JSON-serialisable value. */
  setAttribute(key: string, value: unknown): this {
    if (!this.writable("setAttribute")) return this;
    this.writeAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Record<string, unknown> | Attributes): this {
    if (!this.writable("setAttributes")) return this;
    for (const key of Object.keys(attributes)) this.writeAttribute(key, (attributes as Record<string, unknown>)[key]);
    return this;
  }

  private writeAttribute(key: string, raw: unknown): void {
    const value = needsRedaction(this.record.redactor, key)
      ? redactValue(this.record.redactor, raw, { target: "attribute", key, spanName: this.record.name })
      : raw;
    if (value === undefined) {
      delete this.record.attributes[key];
      return;
    }
    this.record.attributes[key] = toJson(value);
    if (key === SpanAttributeKey.CHAT_USAGE) this.rawValues().usage = value;
  }

  setSpanType(spanType: SpanType): this {
    if (this.writable("setSpanType")) this.record.attributes[SpanAttributeKey.SPAN_TYPE] = JSON.stringify(spanType);
    return this;
  }

  /** Accepts a {@link SpanStatus}, `"OK"` / `"ERROR"` / `"UNSET"`, or an OpenTelemetry status. */
  setStatus(status: SpanStatus | SpanStatusCode | `${SpanStatusCode}` | OtelSpanStatus): this {
    if (this.writable("setStatus")) this.record.status = SpanStatus.from(status);
    return this;
  }

  /** Adds a {@link SpanEvent}, or (OpenTelemetry style) an event by name and attributes. */
  addEvent(event: SpanEvent | string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (!this.writable("addEvent")) return this;
    if (event instanceof SpanEvent) {
      this.record.events.push(this.redactedEvent(event));
      return this;
    }
    const isTime =
      typeof attributesOrTime === "number" || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date;
    const when = isTime ? (attributesOrTime as TimeInput) : time;
    this.record.events.push(
      this.redactedEvent(
        new SpanEvent({
          name: event,
          ...(when !== undefined ? { timestamp: timeInputToNs(when) } : {}),
          attributes: isTime ? {} : ((attributesOrTime as Record<string, unknown> | undefined) ?? {}),
        }),
      ),
    );
    return this;
  }

  /** Records an exception event and marks the span ERROR with the error's message. */
  recordException(error: Exception | unknown, _time?: TimeInput): void {
    if (!this.writable("recordException")) return;
    // the status message repeats the exception's message: built from the redacted event
    const event = this.redactedEvent(SpanEvent.fromException(error));
    this.record.events.push(event);
    const type = event.attributes["exception.type"];
    const message = event.attributes["exception.message"];
    this.record.status = new SpanStatus(SpanStatusCode.ERROR, `${String(type)}: ${String(message)}`);
  }

  /** `event` with each attribute through the span's redactor and the process-wide one (if any). */
  private redactedEvent(event: SpanEvent): SpanEvent {
    if (!needsRedaction(this.record.redactor)) return event;
    const attributes: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(event.attributes)) {
      const redacted = redactValue(this.record.redactor, value, {
        target: "event",
        key,
        eventName: event.name,
        spanName: this.record.name,
      });
      if (redacted !== undefined) attributes[key] = redacted;
    }
    return new SpanEvent({ name: event.name, timestamp: event.timestamp, attributes });
  }

  /**
   * Makes calls nested directly under this span that would open a span of one of these types
   * run untraced: for an integration whose span already represents the call, so that an SDK's
   * own instrumentation does not record it a second time.
   */
  suppressChildSpans(spanTypes: readonly SpanType[]): this {
    this.record.suppressedChildTypes = new Set(spanTypes);
    return this;
  }

  updateName(name: string): this {
    if (this.writable("updateName")) this.record.name = name;
    return this;
  }

  /**
   * Ends the span, optionally setting outputs, attributes and status first. A span without an
   * explicit status ends OK. Ending twice is a no-op. Also accepts an OpenTelemetry end time.
   */
  end(options?: EndSpanOptions | TimeInput): void {
    if (this.record.endTimeNs !== null) return;
    let endTimeNs: number | undefined;
    if (options !== undefined && (typeof options === "number" || Array.isArray(options) || options instanceof Date)) {
      endTimeNs = timeInputToNs(options);
    } else if (options) {
      const o = options as EndSpanOptions;
      if (o.outputs !== undefined) this.setOutputs(o.outputs);
      if (o.attributes) this.setAttributes(o.attributes);
      if (o.status !== undefined) this.setStatus(o.status);
      endTimeNs = o.endTimeNs;
    }
    if (this.record.status.statusCode === SpanStatusCode.UNSET) this.record.status = OK_STATUS;
    this.record.endTimeNs = endTimeNs ?? nowNs();
    try {
      this.listener.onSpanEnd(this);
    } catch (e) {
      log.error("failed to finish span", e);
    }
  }

  /** The OpenTelemetry span context (ids in OpenTelemetry's hex form). */
  spanContext(): SpanContext {
    if (this.context === undefined) {
      this.context = { traceId: this.record.otelTraceId, spanId: this.record.spanId, traceFlags: TRACE_FLAG_SAMPLED };
    }
    return this.context;
  }

  isRecording(): boolean {
    return this.record.endTimeNs === null;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  /** @internal The mutable record, for the trace registry. */
  get _record(): SpanRecord {
    return this.record;
  }

  /** @internal What is told when the span ends: its trace, for the trace registry. */
  get _listener(): SpanEndListener {
    return this.listener;
  }
}

const OK_STATUS = new SpanStatus(SpanStatusCode.OK);

/**
 * @internal A span that records nothing: handed to callbacks while tracing is disabled, so code
 * calling `span.setInputs(...)` keeps working at no cost. One shared instance suffices.
 */
export class NonRecordingLiveSpan extends LiveSpan {
  override setInputs(): this {
    return this;
  }
  override setOutputs(): this {
    return this;
  }
  override setAttribute(): this {
    return this;
  }
  override setAttributes(): this {
    return this;
  }
  override setSpanType(): this {
    return this;
  }
  override setStatus(): this {
    return this;
  }
  override addEvent(): this {
    return this;
  }
  override recordException(): void {}
  override updateName(): this {
    return this;
  }
  override end(): void {}
  override isRecording(): boolean {
    return false;
  }
}

// `instanceof` recognises spans made by another copy of core loaded in the same process (the
// context lookup depends on it: a span of one copy must parent spans of the other).
brandClass(LiveSpan, "LiveSpan");
brandClass(NonRecordingLiveSpan, "NonRecordingLiveSpan");
