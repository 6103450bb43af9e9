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
import { runSafely } from "./safely.js";
import { sourceMetadata } from "./source-metadata.js";
import { aggregateTokenUsage } from "./token-usage.js";
import { applySizeBudget } from "./trace-size.js";

/** Options for creating a span through the registry. */
export interface SpanInit {
  name: string;
  spanType?: SpanType | undefined;
  /** Parent span; null/undefined starts a new trace. */
  parent?: LiveSpan | null | undefined;
  inputs?: unknown;
  attributes?: Record<string, unknown> | undefined;
  startTimeNs?: number | undefined;
  /** For new traces only. */
  experimentId?: string | undefined;
  tags?: Record<string, string> | undefined;
  /** An active span of another OpenTelemetry tracer, for a span with no Tracewright parent. */
  remoteParent?: SpanContext | null | undefined;
  /** The redactor of the integration making the span. */
  redactor?: Redactor | undefined;
}

/** A trace whose root span has not ended yet. */
interface OpenTrace {
  info: TraceInfo;
  spans: LiveSpan[];
  root: LiveSpan;
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

/** @internal The id of the most recently finished trace in this process. */
export const lastTraceId = (): string | null => registry.lastFinishedTraceId;

/**
 * Assembles traces in memory while their spans run. When a root span ends, the finished trace
 * (token usage summed, previews cut, state set) goes to the export queue.
 */
class TraceRegistry implements SpanEndListener {
  private readonly open = new Map<string, OpenTrace>();
  /** The id of the most recently finished trace. */
  lastFinishedTraceId: string | null = null;

  /** Opens a span: under its parent's trace when that trace is open here, else as a new trace's root. */
  startSpan(init: SpanInit): LiveSpan {
    const { parent, remote } = this.resolveParent(init);
    const parentTrace = parent ? this.open.get(parent.traceId) : undefined;
    const startTimeNs = init.startTimeNs ?? nowNs();
    const span = new LiveSpan(newSpanRecord(init, startTimeNs, parentTrace ? parent : null, remote), this);
    if (needsRedaction(init.redactor)) {
      // with a redactor in force, values go through the span's setters, which apply it
      if (init.inputs !== undefined) span.setInputs(init.inputs);
      if (init.attributes) span.setAttributes(init.attributes);
    }
    if (parentTrace) {
      parentTrace.spans.push(span);
      return span;
    }
    if (parent) log.debug(`parent span "${parent.name}" already finished; starting a new trace for "${init.name}"`);
    this.openTrace(span, init, startTimeNs);
    return span;
  }

  /**
   * The span a new span goes under, and the remote parent it continues (distributed tracing) when
   * it has no local one. Inside a foreign span of a trace already recorded here, it stays in that
   * trace, under the very span named when it is ours (headers a span of this process sent itself).
   */
  private resolveParent(init: SpanInit): { parent: LiveSpan | null; remote: SpanContext | null } {
    let parent = init.parent ?? null;
    const remote = parent === null ? (init.remoteParent ?? null) : null;
    if (remote) {
      const joined = this.open.get(toMlflowTraceId(remote.traceId));
      if (joined) parent = joined.spans.find((s) => s.spanId === remote.spanId) ?? joined.root;
    }
    return { parent, remote };
  }

  /** Starts a new in-progress trace with `root` as its root span. */
  private openTrace(root: LiveSpan, init: SpanInit, startTimeNs: number): void {
    const runId = currentRunId();
    const metadata: Record<string, string> = {
      [TraceMetadataKey.SCHEMA_VERSION]: TRACE_SCHEMA_VERSION,
      ...sourceMetadata(),
    };
    if (runId) metadata[TraceMetadataKey.SOURCE_RUN] = runId;
    const info = new TraceInfo({
      traceId: root.traceId,
      experimentId: init.experimentId ?? currentExperimentId(),
      requestTime: nsToMs(startTimeNs),
      state: TraceState.IN_PROGRESS,
      tags: { ...(init.tags ?? {}) },
      traceMetadata: metadata,
    });
    this.open.set(root.traceId, { info, spans: [root], root });
  }

  /** The in-progress trace info (for updateCurrentTrace), or undefined once finished. */
  openTraceInfo(traceId: string): TraceInfo | undefined {
    return this.open.get(traceId)?.info;
  }

  /** A running span of an in-progress trace, by id. */
  findSpan(traceId: string, spanId: string): LiveSpan | undefined {
    return this.open.get(traceId)?.spans.find((s) => s.spanId === spanId);
  }

  /** The root span of an in-progress trace. */
  rootOf(traceId: string): LiveSpan | undefined {
    return this.open.get(traceId)?.root;
  }

  onSpanEnd(span: LiveSpan): void {
    const open = this.open.get(span.traceId);
    if (!open) {
      log.debug(`span "${span.name}" ended after its trace was finished; it is not recorded`);
      return;
    }
    if (open.root !== span) return;
    this.open.delete(span.traceId);
    this.finish(open);
  }

  private finish(open: OpenTrace): void {
    const root = open.root;
    const rootEnd = root.endTimeNs as number;
    for (const s of open.spans) {
      if (!s.ended) s.end({ endTimeNs: rootEnd });
    }
    const records = open.spans.map((s) => s._record);
    const spans = records.map((r) => new Span(r));
    const info = open.info;
    const rootRecord = root._record;
    info.executionDuration = Math.round((rootEnd - rootRecord.startTimeNs) / 1e6);
    info.state = rootRecord.status.statusCode === SpanStatusCode.ERROR ? TraceState.ERROR : TraceState.OK;
    // Derived metadata is best effort: the trace itself is exported whatever the user's values do.
    runSafely("summarising a finished trace", () => describeFinishedTrace(info, rootRecord, spans));
    // after the summary, which reads the values whole; before export, which must not see them whole
    runSafely("applying the trace size budget", () => applySizeBudget(info, records));
    this.lastFinishedTraceId = info.traceId;
    enqueueTrace(new Trace(info, new TraceData(spans)));
  }
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
      : JSON.stringify(traceId),
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
export const registry: TraceRegistry = processSingleton("trace-registry", () => new TraceRegistry());
