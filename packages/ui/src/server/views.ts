import { type Assessment, type Span, type Trace, type TraceInfo, TraceTagKey } from "@tracewright/core";

/**
 * The JSON the UI reads: traces and spans with decoded values and plain ids (MLflow's wire form,
 * with base64 ids and JSON-encoded attributes, is for MLflow's own tools).
 */

/** One row of the trace list. */
export interface TraceSummary {
  traceId: string;
  experimentId: string;
  name: string;
  state: string;
  requestTime: number;
  executionDuration: number | null;
  tokens: { input: number; output: number; total: number } | null;
  tags: Record<string, string>;
  requestPreview: string | null;
  responsePreview: string | null;
  /** Spans in the trace; null in listings, which do not load spans. */
  spanCount: number | null;
  assessmentCount: number;
}

export interface AssessmentView {
  assessmentId: string;
  type: "feedback" | "expectation";
  name: string;
  value: unknown;
  source: { type: string; id: string };
  spanId: string | null;
  rationale: string | null;
  createTime: number;
}

export interface SpanView {
  spanId: string;
  parentId: string | null;
  name: string;
  spanType: string;
  startTimeNs: number;
  endTimeNs: number | null;
  status: { code: string; message: string };
  inputs: unknown;
  outputs: unknown;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; timeNs: number; attributes: Record<string, unknown> }>;
}

export interface TraceView {
  info: TraceSummary & { metadata: Record<string, string>; assessments: AssessmentView[] };
  spans: SpanView[];
}

function userTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (!k.startsWith("mlflow.")) out[k] = v;
  return out;
}

function summaryOf(info: TraceInfo, spanCount: number | null): TraceSummary {
  const usage = info.tokenUsage;
  return {
    traceId: info.traceId,
    experimentId: info.experimentId,
    name: info.tags[TraceTagKey.TRACE_NAME] ?? "",
    state: String(info.state),
    requestTime: info.requestTime,
    executionDuration: info.executionDuration,
    tokens: usage
      ? { input: usage.input_tokens ?? 0, output: usage.output_tokens ?? 0, total: usage.total_tokens ?? 0 }
      : null,
    tags: userTags(info.tags),
    requestPreview: info.requestPreview,
    responsePreview: info.responsePreview,
    spanCount,
    assessmentCount: info.assessments.filter((a) => a.valid).length,
  };
}

/** A trace as a list row (listings load infos only). */
export function traceSummary(trace: Trace): TraceSummary {
  return summaryOf(trace.info, null);
}

export function assessmentView(a: Assessment): AssessmentView {
  return {
    assessmentId: a.assessmentId,
    type: a.type,
    name: a.name,
    value: a.value,
    source: { type: String(a.source.sourceType), id: a.source.sourceId },
    spanId: a.spanId,
    rationale: a.rationale,
    createTime: a.createTime,
  };
}

function spanView(span: Span): SpanView {
  return {
    spanId: span.spanId,
    parentId: span.parentId,
    name: span.name,
    spanType: String(span.spanType),
    startTimeNs: span.startTimeNs,
    endTimeNs: span.endTimeNs,
    status: { code: String(span.status.statusCode), message: span.status.description ?? "" },
    inputs: span.inputs ?? null,
    outputs: span.outputs ?? null,
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, timeNs: e.timestamp, attributes: { ...e.attributes } })),
  };
}

/** A whole trace: its info, assessments (valid ones) and spans. */
export function traceView(trace: Trace): TraceView {
  return {
    info: {
      ...summaryOf(trace.info, trace.data.spans.length),
      metadata: { ...trace.info.traceMetadata },
      assessments: trace.info.assessments.filter((a) => a.valid).map(assessmentView),
    },
    spans: trace.data.spans.map(spanView),
  };
}
