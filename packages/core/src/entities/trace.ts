import type { SpanType } from "../constants.js";
import { brandClass } from "../internal/process-state.js";
import type { Assessment } from "./assessment.js";
import type { Span, SpanDict } from "./span.js";
import { TraceData } from "./trace-data.js";
import { TraceInfo } from "./trace-info.js";

/** A trace as a plain object: MLflow's `Trace.to_dict()` shape. */
export interface TraceDict {
  info: Record<string, unknown>;
  data: { spans: SpanDict[] };
}

/** Criteria for {@link Trace.searchSpans}; all given criteria must match. */
export interface SpanSearch {
  /** Exact name, or a pattern searched for in the name. */
  name?: string | RegExp;
  spanType?: SpanType;
  spanId?: string;
}

/** Criteria for {@link Trace.searchAssessments}. */
export interface AssessmentSearch {
  name?: string;
  type?: "feedback" | "expectation";
  spanId?: string;
  /** Include assessments that a newer one overrode (default false). */
  all?: boolean;
}

/** One trace in the tabular form of `search_traces` (a DataFrame row in MLflow). */
export interface TraceRow {
  trace_id: string;
  request_id: string;
  trace: Trace;
  client_request_id: string | null;
  state: string;
  request_time: number;
  execution_duration: number | null;
  request: unknown;
  response: unknown;
  trace_metadata: Record<string, string>;
  tags: Record<string, string>;
  spans: SpanDict[];
  assessments: Array<Record<string, unknown>>;
  [extractedField: string]: unknown;
}

function parseJsonOrNull(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A recorded trace: its {@link TraceInfo} and its {@link TraceData}. */
export class Trace {
  readonly info: TraceInfo;
  readonly data: TraceData;

  constructor(info: TraceInfo, data: TraceData) {
    this.info = info;
    this.data = data;
  }

  /** Spans matching every given criterion, in trace order. */
  searchSpans(criteria: SpanSearch = {}): Span[] {
    const { name, spanType, spanId } = criteria;
    return this.data.spans.filter((span) => {
      if (name !== undefined) {
        if (typeof name === "string" ? span.name !== name : !regexMatches(name, span.name)) return false;
      }
      if (spanType !== undefined && span.spanType !== spanType) return false;
      if (spanId !== undefined && span.spanId !== spanId) return false;
      return true;
    });
  }

  /** Assessments matching every given criterion; overridden ones only with `all: true`. */
  searchAssessments(criteria: AssessmentSearch = {}): Assessment[] {
    return this.info.assessments.filter((a) => {
      if (!criteria.all && !a.valid) return false;
      if (criteria.name !== undefined && a.name !== criteria.name) return false;
      if (criteria.type !== undefined && a.type !== criteria.type) return false;
      if (criteria.spanId !== undefined && a.spanId !== criteria.spanId) return false;
      return true;
    });
  }

  toDict(): TraceDict {
    return { info: this.info.toDict(), data: this.data.toDict() };
  }

  /** So that `JSON.stringify(trace)` yields the same document as {@link Trace.toJson}. */
  toJSON(): TraceDict {
    return this.toDict();
  }

  /** The trace as MLflow-compatible JSON text. */
  toJson(options: { pretty?: boolean } = {}): string {
    return JSON.stringify(this.toDict(), null, options.pretty ? 2 : undefined);
  }

  /** The flat row form, as one row of MLflow's `search_traces` DataFrame. */
  toRow(): TraceRow {
    return {
      trace_id: this.info.traceId,
      request_id: this.info.traceId,
      trace: this,
      client_request_id: this.info.clientRequestId,
      state: this.info.state,
      request_time: this.info.requestTime,
      execution_duration: this.info.executionDuration,
      request: parseJsonOrNull(this.data.request),
      response: parseJsonOrNull(this.data.response),
      trace_metadata: { ...this.info.traceMetadata },
      tags: { ...this.info.tags },
      spans: this.data.spans.map((s) => s.toDict()),
      assessments: this.info.assessments.map((a) => a.toDict()),
    };
  }

  static fromDict(d: TraceDict | Record<string, unknown>): Trace {
    const dict = d as { info?: Record<string, unknown>; data?: { spans?: Array<Record<string, unknown>> } };
    if (!dict.info || typeof dict.info !== "object") throw new TypeError("Invalid trace dict: `info` is missing.");
    return new Trace(TraceInfo.fromDict(dict.info), TraceData.fromDict(dict.data ?? {}));
  }

  /** Reads a trace from JSON text written by {@link Trace.toJson} or by MLflow. */
  static fromJson(json: string): Trace {
    return Trace.fromDict(JSON.parse(json) as Record<string, unknown>);
  }

  /** Alias of {@link Trace.fromJson}; also accepts an already parsed dict. */
  static fromJSON(json: string | TraceDict): Trace {
    return typeof json === "string" ? Trace.fromJson(json) : Trace.fromDict(json);
  }
}

/** Regex search semantics (like Python's `re.search`), immune to a global regex's lastIndex. */
function regexMatches(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

// `instanceof` recognises instances made by another copy of core loaded in the same process.
brandClass(Trace, "Trace");
