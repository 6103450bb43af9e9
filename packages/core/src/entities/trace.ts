import type { SpanType } from "../constants.js";
import { InvalidArgumentError } from "../errors.js";
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

  /**
   * Reads a trace from its dict form ({@link Trace.toDict}, or MLflow's `Trace.to_dict()`).
   * Throws {@link InvalidArgumentError} naming what is missing when it is not one.
   */
  static fromDict(d: TraceDict | Record<string, unknown>): Trace {
    if (d === null || typeof d !== "object" || Array.isArray(d)) {
      throw new InvalidArgumentError(
        `Invalid trace: expected an object with "info" and "data", got ${d === null ? "null" : Array.isArray(d) ? "an array" : typeof d}.`,
      );
    }
    const dict = d as { info?: unknown; data?: unknown };
    const info = dict.info as Record<string, unknown> | undefined;
    if (!info || typeof info !== "object" || Array.isArray(info)) {
      throw new InvalidArgumentError('Invalid trace: "info" is missing or not an object.');
    }
    const id = info.trace_id ?? info.request_id;
    if (typeof id !== "string" || id === "") {
      throw new InvalidArgumentError('Invalid trace: "info.trace_id" (or MLflow 2\'s "info.request_id") is missing.');
    }
    const data = (dict.data ?? {}) as { spans?: unknown };
    if (typeof data !== "object" || data === null || (data.spans !== undefined && !Array.isArray(data.spans))) {
      throw new InvalidArgumentError('Invalid trace: "data.spans" must be an array of spans.');
    }
    return new Trace(TraceInfo.fromDict(info), TraceData.fromDict(data as { spans?: Array<Record<string, unknown>> }));
  }

  /** Reads a trace from JSON text written by {@link Trace.toJson} or by MLflow. */
  static fromJson(json: string): Trace {
    if (typeof json !== "string") {
      throw new InvalidArgumentError(`Trace.fromJson expects JSON text, got ${json === null ? "null" : typeof json}.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new InvalidArgumentError(`Trace.fromJson: the text is not JSON (${(e as Error).message}).`);
    }
    return Trace.fromDict(parsed as Record<string, unknown>);
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
