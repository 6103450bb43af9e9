import type { SpanContext } from "@opentelemetry/api";
import { currentExperimentId } from "../config/experiment.js";
import { currentRunId } from "../config/run.js";
import { SpanAttributeKey, type SpanType, TRACE_SCHEMA_VERSION, TraceMetadataKey, TraceTagKey } from "../constants.js";
import { LiveSpan, NonRecordingLiveSpan, type SpanEndListener } from "../entities/live-span.js";
import { Span, type SpanRecord } from "../entities/span.js";
import { SpanStatus, SpanStatusCode } from "../entities/span-status.js";
import { Trace } from "../entities/trace.js";
import { TraceData } from "../entities/trace-data.js";
import { TraceInfo, TraceState } from "../entities/trace-info.js";
import { nowNs, nsToMs } from "../internal/clock.js";
import { newOtelTraceId, newSpanId, toMlflowTraceId } from "../internal/ids.js";
import { toJson } from "../internal/json.js";
import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";
import { isPropagatedSpanContext } from "./distributed.js";
import { enqueueTrace } from "./export-queue.js";
import { requestPreview, responsePreview } from "./previews.js";
import { needsRedaction, type Redactor } from "./redaction.js";
import { sourceMetadata } from "./source-metadata.js";
import { aggregateTokenUsage } from "./token-usage.js";
import { applySizeBudget } from "./trace-size.js";

/** What a span is made of, as {@link instrumentCall}'s options give it (`SpanOptions`). */
export interface SpanInit {
  name: string;
  spanType?: SpanType | undefined;
  inputs?: unknown;
  attributes?: Record<string, unknown> | undefined;
  startTimeNs?: number | undefined;
  /** The redactor of the integration making the span. */
  redactor?: Redactor | undefined;
}

/**
 * A trace whose root span has not ended yet. It is the end listener of its own spans, so a span
 * finds its trace through the span itself, with no lookup by id on the way.
 */
class OpenTrace implements SpanEndListener {
  /** The root span, then the others in the order they started. */
  readonly spans: LiveSpan[];
  readonly root: LiveSpan;
  /** Set once the root span ended and the trace went to the export queue. */
  finished = false;
  /** Neighbours in the registry's list of open traces. */
  prev: OpenTrace | null = null;
  next: OpenTrace | null = null;

  constructor(
    private readonly registry: TraceRegistry,
    readonly info: TraceInfo,
    rootRecord: SpanRecord,
  ) {
    this.root = new LiveSpan(rootRecord, this);
    this.spans = [this.root];
  }

  onSpanEnd(span: LiveSpan): void {
    if (this.finished) {
      log.debug(`span "${span.name}" ended after its trace was finished; it is not recorded`);
      return;
    }
    if (span === this.root) this.registry.finish(this);
  }
}

/** The open trace `span` belongs to, or undefined when its trace has finished (or it is no span of ours). */
function openTraceOf(span: LiveSpan): OpenTrace | undefined {
  const listener = span._listener;
  return listener instanceof OpenTrace && !listener.finished ? listener : undefined;
}

/** Metadata values MLflow's Python client truncates to this length. */
const MAX_METADATA_PREVIEW = 250;
const truncateMetadata = (s: string): string =>
  s.length > MAX_METADATA_PREVIEW ? `${s.slice(0, MAX_METADATA_PREVIEW - 3)}...` : s;

const encodedSpanTypes = new Map<string, string>();
/** Span types repeat endlessly: encode each once. */
function encodeSpanType(spanType: string): string {
  let encoded = encodedSpanTypes.get(spanType);
  if (encoded === undefined) {
    encoded = JSON.stringify(spanType);
    if (encodedSpanTypes.size < 1000) encodedSpanTypes.set(spanType, encoded);
  }
  return encoded;
}

let startingMetadata: Readonly<Record<string, string>> | undefined;
/** The metadata every trace starts with: the schema version, then who and what made it. */
function baseMetadata(): Readonly<Record<string, string>> {
  startingMetadata ??= Object.freeze({
    [TraceMetadataKey.SCHEMA_VERSION]: TRACE_SCHEMA_VERSION,
    ...sourceMetadata(),
  });
  return startingMetadata;
}

/** @internal The id of the most recently finished trace in this process. */
export const lastTraceId = (): string | null => registry.lastFinishedTraceId;

/**
 * Assembles traces in memory while their spans run. When a root span ends, the finished trace
 * (token usage summed, previews cut, state set) goes to the export queue.
 *
 * Open traces are kept in a linked list, which costs a few field writes per trace. An index by
 * trace id, which costs a hash-map insert and delete per trace, is only built once something asks
 * for a trace by id (the client API, a span inside a foreign OpenTelemetry span) and kept from
 * then on; most processes never ask.
 */
class TraceRegistry {
  private head: OpenTrace | null = null;
  private byId: Map<string, OpenTrace> | undefined;
  /** The id of the most recently finished trace. */
  lastFinishedTraceId: string | null = null;

  /**
   * Opens a span: under `parent`'s trace when that trace is open here, else as a new trace's
   * root. `remoteParent` is an active span of another OpenTelemetry tracer, for a span with no
   * Tracewright parent.
   */
  startSpan(init: SpanInit, parent: LiveSpan | null, remoteParent: SpanContext | null): LiveSpan {
    // parent and remote parent are mutually exclusive: a span under ours ignores a foreign one
    const remote = parent === null ? remoteParent : null;
    const under = remote === null ? parent : this.joinedParent(remote);
    const parentTrace = under === null ? undefined : openTraceOf(under);
    const startTimeNs = init.startTimeNs ?? nowNs();
    const record = newSpanRecord(init, startTimeNs, parentTrace ? under : null, remote);
    if (parentTrace) {
      const span = new LiveSpan(record, parentTrace);
      redactInitialValues(span, init);
      parentTrace.spans.push(span);
      return span;
    }
    if (under) log.debug(`parent span "${under.name}" already finished; starting a new trace for "${init.name}"`);
    const trace = this.openTrace(record, startTimeNs);
    redactInitialValues(trace.root, init);
    return trace.root;
  }

  /**
   * The span a new span inside a foreign span goes under (distributed tracing): when that span's
   * trace is recorded here, it stays in that trace, under the very span named when it is ours
   * (headers a span of this process sent itself); null otherwise.
   */
  private joinedParent(remote: SpanContext): LiveSpan | null {
    const joined = this.lookup(toMlflowTraceId(remote.traceId));
    if (!joined) return null;
    return joined.spans.find((s) => s.spanId === remote.spanId) ?? joined.root;
  }

  /** Starts a new in-progress trace whose root span has `rootRecord`. */
  private openTrace(rootRecord: SpanRecord, startTimeNs: number): OpenTrace {
    const runId = currentRunId();
    // one copy of the metadata every trace starts with (schema version, source), in MLflow's order
    const metadata: Record<string, string> = { ...baseMetadata() };
    if (runId) metadata[TraceMetadataKey.SOURCE_RUN] = runId;
    const info = new TraceInfo({
      traceId: rootRecord.traceId,
      experimentId: currentExperimentId(),
      requestTime: nsToMs(startTimeNs),
      state: TraceState.IN_PROGRESS,
      tags: {},
      traceMetadata: metadata,
    });
    const trace = new OpenTrace(this, info, rootRecord);
    const head = this.head;
    if (head !== null) head.prev = trace;
    trace.next = head;
    this.head = trace;
    this.byId?.set(info.traceId, trace);
    return trace;
  }

  /** The open trace with this id, indexing open traces by id the first time one is asked for. */
  private lookup(traceId: string): OpenTrace | undefined {
    if (this.byId === undefined) {
      this.byId = new Map();
      for (let t = this.head; t !== null; t = t.next) this.byId.set(t.info.traceId, t);
    }
    return this.byId.get(traceId);
  }

  /** @internal How many traces are open (their root span has not ended), for tests. */
  openTraceCount(): number {
    let n = 0;
    for (let t = this.head; t !== null; t = t.next) n++;
    return n;
  }

  /** The in-progress trace info, or undefined once finished. */
  openTraceInfo(traceId: string): TraceInfo | undefined {
    return this.lookup(traceId)?.info;
  }

  /** The in-progress info of `span`'s trace (for updateCurrentTrace), or undefined once finished. */
  openTraceInfoOf(span: LiveSpan): TraceInfo | undefined {
    return openTraceOf(span)?.info;
  }

  /** A running span of an in-progress trace, by id. */
  findSpan(traceId: string, spanId: string): LiveSpan | undefined {
    return this.lookup(traceId)?.spans.find((s) => s.spanId === spanId);
  }

  /** The root span of an in-progress trace. */
  rootOf(traceId: string): LiveSpan | undefined {
    return this.lookup(traceId)?.root;
  }

  /** Takes a trace whose root span ended out of the open ones. */
  private close(trace: OpenTrace): void {
    trace.finished = true;
    const { prev, next } = trace;
    if (prev !== null) prev.next = next;
    else this.head = next;
    if (next !== null) next.prev = prev;
    trace.prev = null;
    trace.next = null;
    this.byId?.delete(trace.info.traceId);
  }

  /** Closes a trace whose root span ended, finishes its spans and hands it to the export queue. */
  finish(open: OpenTrace): void {
    this.close(open);
    const root = open.root;
    const rootEnd = root.endTimeNs as number;
    const live = open.spans;
    // plain loops, no closures: this runs once per trace
    const records: SpanRecord[] = [];
    const spans: Span[] = [];
    for (let i = 0; i < live.length; i++) {
      const s = live[i] as LiveSpan;
      if (!s.ended) s.end({ endTimeNs: rootEnd });
      records.push(s._record);
      spans.push(new Span(s._record));
    }
    const info = open.info;
    const rootRecord = root._record;
    info.executionDuration = Math.round((rootEnd - rootRecord.startTimeNs) / 1e6);
    info.state = rootRecord.status.statusCode === SpanStatusCode.ERROR ? TraceState.ERROR : TraceState.OK;
    // Derived metadata is best effort: the trace itself is exported whatever the user's values do.
    try {
      describeFinishedTrace(info, rootRecord, spans);
    } catch (e) {
      log.error("tracing failed while summarising a finished trace", e);
    }
    // after the summary, which reads the values whole; before export, which must not see them whole
    try {
      applySizeBudget(info, records);
    } catch (e) {
      log.error("tracing failed while applying the trace size budget", e);
    }
    this.lastFinishedTraceId = info.traceId;
    enqueueTrace(new Trace(info, new TraceData(spans)));
  }
}

/** With a redactor in force, a new span's inputs and attributes go through its setters, which apply it. */
function redactInitialValues(span: LiveSpan, init: SpanInit): void {
  if (!needsRedaction(init.redactor)) return;
  if (init.inputs !== undefined) span.setInputs(init.inputs);
  if (init.attributes) span.setAttributes(init.attributes);
}

/**
 * The record of a new span: ids (its parent's trace, a remote parent's trace, or a new one), type,
 * and inputs and attributes encoded at once unless a redactor must see them first.
 */
function newSpanRecord(
  init: SpanInit,
  startTimeNs: number,
  parent: LiveSpan | null,
  remote: SpanContext | null,
): SpanRecord {
  const otelTraceId = parent ? parent.spanContext().traceId : (remote?.traceId ?? newOtelTraceId());
  const traceId = parent ? parent.traceId : toMlflowTraceId(otelTraceId);
  const attributes: Record<string, string> = {
    [SpanAttributeKey.REQUEST_ID]: parent
      ? (parent._record.attributes[SpanAttributeKey.REQUEST_ID] as string)
      : `"${traceId}"`, // JSON of an id made of hex digits and the "tr-" prefix: nothing to escape
    [SpanAttributeKey.SPAN_TYPE]: encodeSpanType(init.spanType ?? "UNKNOWN"),
  };
  const redact = needsRedaction(init.redactor);
  let raw: SpanRecord["raw"];
  if (init.inputs !== undefined && !redact) {
    attributes[SpanAttributeKey.INPUTS] = toJson(init.inputs);
    raw = { inputs: init.inputs };
  }
  if (init.attributes && !redact)
    for (const k of Object.keys(init.attributes)) attributes[k] = toJson(init.attributes[k]);
  const record: SpanRecord = {
    traceId,
    otelTraceId,
    spanId: newSpanId(),
    // a parent in another process (distributed tracing) is a real parent in the shared trace;
    // an app's own OpenTelemetry span is not recorded, so under it our span stays a root
    parentId: parent ? parent.spanId : remote && isPropagatedSpanContext(remote) ? remote.spanId : null,
    name: init.name,
    startTimeNs,
    endTimeNs: null,
    status: UNSET,
    attributes,
    events: [],
  };
  if (raw) record.raw = raw;
  if (remote) record.remoteParentId = remote.spanId;
  if (init.redactor) record.redactor = init.redactor;
  return record;
}

/** Previews, inputs/outputs metadata, token usage and the trace name of a finished trace. */
function describeFinishedTrace(info: TraceInfo, rootRecord: SpanRecord, spans: readonly Span[]): void {
  const inputs = rootRecord.attributes[SpanAttributeKey.INPUTS];
  const outputs = rootRecord.attributes[SpanAttributeKey.OUTPUTS];
  info.requestPreview ??= requestPreview(inputs, rootRecord.raw?.inputs);
  info.responsePreview ??= responsePreview(outputs, rootRecord.raw?.outputs);
  if (inputs !== undefined) info.traceMetadata[TraceMetadataKey.INPUTS] ??= truncateMetadata(inputs);
  if (outputs !== undefined) info.traceMetadata[TraceMetadataKey.OUTPUTS] ??= truncateMetadata(outputs);
  const usage = aggregateTokenUsage(spans);
  if (usage) info.traceMetadata[TraceMetadataKey.TOKEN_USAGE] = JSON.stringify(usage);
  info.tags[TraceTagKey.TRACE_NAME] ??= rootRecord.name;
}

const UNSET = new SpanStatus(SpanStatusCode.UNSET);

/** @internal The span handed to callbacks while tracing is disabled. */
export const NOOP_SPAN: LiveSpan = new NonRecordingLiveSpan(
  {
    traceId: "tr-00000000000000000000000000000000",
    otelTraceId: "00000000000000000000000000000000",
    spanId: "0000000000000000",
    parentId: null,
    name: "non-recording",
    startTimeNs: 0,
    endTimeNs: null,
    status: UNSET,
    attributes: {},
    events: [],
  },
  { onSpanEnd: () => undefined },
);

/**
 * @internal The process-wide registry, shared by every copy of core loaded in the process (an
 * ESM and a CommonJS build, say): spans of one copy nest under spans of the other, and a trace
 * is assembled and exported once.
 */
export const registry: TraceRegistry = processSingleton("trace-registry.2", () => new TraceRegistry());
