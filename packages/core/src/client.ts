import { getTraceStore } from "./config/destination.js";
import { currentExperimentId, pendingExperimentId } from "./config/experiment.js";
import type { SpanType } from "./constants.js";
import {
  type Assessment,
  type AssessmentError,
  AssessmentSource,
  type AssessmentSourceLike,
  Expectation,
  Feedback,
} from "./entities/assessment.js";
import type { EndSpanOptions, LiveSpan } from "./entities/live-span.js";
import type { Trace, TraceRow } from "./entities/trace.js";
import { InvalidArgumentError, TraceNotFoundError } from "./errors.js";
import { describeValue } from "./store/filter/parser.js";
import { checkDeleteOptions, checkSearchOptions, pageSize } from "./store/paging.js";
import type { DeleteTracesOptions, SearchTracesOptions, TracePage } from "./store/trace-store.js";
import { flushTraces } from "./tracing/export-queue.js";
import { openSpan } from "./tracing/instrument.js";
import { registry } from "./tracing/trace-registry.js";

/** Options of {@link TracewrightClient.searchTraces}. */
export interface ClientSearchOptions extends SearchTracesOptions {
  /** `"span_name.inputs"`, `"span_name.outputs.field"`: extra columns in {@link TracewrightClient.searchTraceRows}. */
  extractFields?: string[];
}

/** Options of `logFeedback` / `logExpectation`. */
export interface LogAssessmentOptions {
  traceId: string;
  name: string;
  value: unknown;
  /** Attach to one span of the trace instead of the whole trace; the trace must have that span. */
  spanId?: string;
  /**
   * Who produced it: an {@link AssessmentSource}, or a plain `{ sourceType, sourceId }` (MLflow's
   * `{ source_type, source_id }` too). Default: CODE.
   */
  source?: AssessmentSourceLike;
  rationale?: string;
  metadata?: Record<string, string>;
}

function requireString(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw new InvalidArgumentError(`${what} must be a non-empty string.`);
}

/**
 * The low-level tracing client (MLflow's `MlflowClient`): explicit trace and span lifetimes
 * across async tasks, and reading and managing stored traces. Spans of one trace may start and
 * end from different async tasks; nothing depends on the active context.
 *
 * @example
 * ```ts
 * const client = new TracewrightClient();
 * const root = client.startTrace("my_trace", { inputs: { q: 1 } });
 * const child = client.startSpan({ name: "child", traceId: root.traceId, parentId: root.spanId });
 * client.endSpan({ traceId: root.traceId, spanId: child.spanId, outputs: { a: 2 } });
 * client.endTrace({ traceId: root.traceId, outputs: { a: 2 } });
 * ```
 */
export class TracewrightClient {
  /** Starts a new trace and returns its root span. */
  startTrace(
    name: string,
    options: {
      inputs?: unknown;
      attributes?: Record<string, unknown>;
      tags?: Record<string, string>;
      experimentId?: string;
      spanType?: SpanType;
    } = {},
  ): LiveSpan {
    requireString(name, "startTrace: name");
    const span = openSpan({
      name,
      parent: null,
      ...(options.spanType !== undefined ? { spanType: options.spanType } : {}),
      ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
      ...(options.attributes !== undefined ? { attributes: options.attributes } : {}),
    });
    if (!span) throw new InvalidArgumentError("startTrace: tracing is disabled.");
    const info = registry.openTraceInfoOf(span);
    if (info) {
      Object.assign(info.tags, options.tags ?? {});
      if (options.experimentId !== undefined) info.traceLocation.mlflowExperiment.experimentId = options.experimentId;
    }
    return span;
  }

  /** Starts a child span of a running trace. */
  startSpan(options: {
    name: string;
    traceId: string;
    parentId: string;
    spanType?: SpanType;
    inputs?: unknown;
    attributes?: Record<string, unknown>;
  }): LiveSpan {
    requireString(options.name, "startSpan: name");
    requireString(options.traceId, "startSpan: traceId");
    requireString(options.parentId, "startSpan: parentId");
    const parent = registry.findSpan(options.traceId, options.parentId);
    if (!parent) {
      throw new InvalidArgumentError(
        registry.openTraceInfo(options.traceId)
          ? `startSpan: no span "${options.parentId}" in trace ${options.traceId}.`
          : `startSpan: trace ${options.traceId} is not running (never started, or already ended).`,
      );
    }
    const span = openSpan({
      name: options.name,
      parent,
      ...(options.spanType !== undefined ? { spanType: options.spanType } : {}),
      ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
      ...(options.attributes !== undefined ? { attributes: options.attributes } : {}),
    });
    if (!span) throw new InvalidArgumentError("startSpan: tracing is disabled.");
    return span;
  }

  /** Ends a span of a running trace. */
  endSpan(options: { traceId: string; spanId: string } & Omit<EndSpanOptions, "endTimeNs">): void {
    const span = registry.findSpan(options.traceId, options.spanId);
    if (!span) {
      throw new InvalidArgumentError(`endSpan: no running span "${options.spanId}" in trace ${options.traceId}.`);
    }
    span.end(endOptions(options));
  }

  /** Ends a trace's root span, and any children still open; the trace is then logged. */
  endTrace(options: { traceId: string } & Omit<EndSpanOptions, "endTimeNs">): void {
    const root = registry.rootOf(options.traceId);
    if (!root) throw new InvalidArgumentError(`endTrace: trace ${options.traceId} is not running.`);
    root.end(endOptions(options));
  }

  /** A stored trace; throws {@link TraceNotFoundError} when there is none. */
  async getTrace(traceId: string): Promise<Trace> {
    requireString(traceId, "getTrace: traceId");
    await flushTraces();
    const trace = await getTraceStore().getTrace(traceId);
    if (!trace) throw new TraceNotFoundError(traceId);
    return trace;
  }

  /** One page of traces matching the filter, in the given order (default newest first). */
  async searchTraces(options: ClientSearchOptions = {}): Promise<TracePage> {
    checkSearchOptions(options);
    checkExtractFields(options.extractFields);
    await flushTraces();
    const experimentIds = options.experimentIds ?? [currentExperimentId() || (await pendingExperimentId())];
    const { extractFields: _ignored, ...rest } = options;
    return getTraceStore().searchTraces({ ...rest, experimentIds });
  }

  /** Like {@link TracewrightClient.searchTraces}, as flat rows with the extracted fields as extra columns. */
  async searchTraceRows(options: ClientSearchOptions = {}): Promise<TraceRow[]> {
    const page = await this.searchTraces(options);
    return page.traces.map((t) => toRowWithFields(t, options.extractFields ?? []));
  }

  /** Deletes by time bound (optionally at most `maxTraces`, oldest first) or by ids; returns the count. */
  async deleteTraces(options: DeleteTracesOptions): Promise<number> {
    checkDeleteOptions(options);
    await flushTraces();
    return getTraceStore().deleteTraces(options);
  }

  async setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    requireString(traceId, "setTraceTag: traceId");
    requireString(key, "setTraceTag: key");
    const open = registry.openTraceInfo(traceId);
    if (open) {
      open.tags[key] = String(value);
      return;
    }
    await flushTraces();
    await getTraceStore().setTraceTag(traceId, key, String(value));
  }

  async deleteTraceTag(traceId: string, key: string): Promise<void> {
    requireString(traceId, "deleteTraceTag: traceId");
    requireString(key, "deleteTraceTag: key");
    const open = registry.openTraceInfo(traceId);
    if (open) {
      delete open.tags[key];
      return;
    }
    await flushTraces();
    await getTraceStore().deleteTraceTag(traceId, key);
  }

  /** Logs feedback (a score, label or judgement, or the error that prevented one) on a trace or one of its spans. */
  async logFeedback(options: LogAssessmentOptions & { error?: AssessmentError }): Promise<Feedback> {
    checkAssessmentOptions(options, "logFeedback");
    if (options.error !== undefined) checkAssessmentError(options.error);
    if (options.value === undefined && options.error === undefined) {
      throw new InvalidArgumentError("logFeedback: give a value, or an error saying why there is none.");
    }
    return (await this.logAssessment(new Feedback(assessmentInit(options, options.error)))) as Feedback;
  }

  /** Logs an expectation (ground truth) on a trace or one of its spans. */
  async logExpectation(options: LogAssessmentOptions): Promise<Expectation> {
    checkAssessmentOptions(options, "logExpectation");
    if (options.value === undefined) throw new InvalidArgumentError("logExpectation: value is required.");
    return (await this.logAssessment(new Expectation(assessmentInit(options)))) as Expectation;
  }

  private async logAssessment(assessment: Assessment): Promise<Assessment> {
    await flushTraces();
    const store = getTraceStore();
    if (assessment.spanId !== null) {
      // an assessment on a span the trace does not have would point at nothing
      const trace = await store.getTrace(assessment.traceId);
      if (!trace) throw new TraceNotFoundError(assessment.traceId);
      if (!trace.data.spans.some((s) => s.spanId === assessment.spanId)) {
        throw new InvalidArgumentError(
          `${assessment.type === "feedback" ? "logFeedback" : "logExpectation"}: trace ${assessment.traceId} has no span "${assessment.spanId}".`,
        );
      }
    }
    return store.logAssessment(assessment);
  }
}

function endOptions(o: Omit<EndSpanOptions, "endTimeNs">): EndSpanOptions {
  return {
    ...(o.outputs !== undefined ? { outputs: o.outputs } : {}),
    ...(o.attributes !== undefined ? { attributes: o.attributes } : {}),
    ...(o.status !== undefined ? { status: o.status } : {}),
  };
}

/** Types of the options shared by logFeedback and logExpectation, checked before anything is sent. */
function checkAssessmentOptions(o: LogAssessmentOptions, method: string): void {
  if (o === null || typeof o !== "object") {
    throw new InvalidArgumentError(`${method}: expected an options object, got ${describeValue(o)}.`);
  }
  requireString(o.traceId, `${method}: traceId`);
  requireString(o.name, `${method}: name`);
  if (o.spanId !== undefined && o.spanId !== null) requireString(o.spanId, `${method}: spanId`);
  if (o.rationale !== undefined && o.rationale !== null && typeof o.rationale !== "string") {
    throw new InvalidArgumentError(`${method}: rationale must be a string, got ${describeValue(o.rationale)}.`);
  }
  if (
    o.metadata !== undefined &&
    o.metadata !== null &&
    (typeof o.metadata !== "object" || Array.isArray(o.metadata))
  ) {
    throw new InvalidArgumentError(
      `${method}: metadata must be an object of strings, got ${describeValue(o.metadata)}.`,
    );
  }
  if (o.source !== undefined) {
    try {
      AssessmentSource.from(o.source);
    } catch (e) {
      throw new InvalidArgumentError(`${method}: source: ${(e as Error).message}`);
    }
  }
}

function checkAssessmentError(error: unknown): void {
  const e = error as AssessmentError | null;
  if (
    e === null ||
    typeof e !== "object" ||
    (e.errorCode !== undefined && typeof e.errorCode !== "string") ||
    (e.errorMessage !== undefined && typeof e.errorMessage !== "string") ||
    (e.errorCode === undefined && e.errorMessage === undefined)
  ) {
    throw new InvalidArgumentError(
      `logFeedback: error must be { errorCode?: string, errorMessage?: string } with at least one of them, got ${describeValue(error)}.`,
    );
  }
}

function checkExtractFields(fields: unknown): void {
  if (fields === undefined) return;
  if (!Array.isArray(fields) || fields.some((f) => typeof f !== "string")) {
    throw new InvalidArgumentError(
      `searchTraces: extractFields must be an array of strings such as ["span_name.outputs.field"], got ${describeValue(fields)}.`,
    );
  }
  for (const f of fields as string[]) parseExtractField(f);
}

function assessmentInit(o: LogAssessmentOptions, error?: AssessmentError) {
  return {
    name: o.name,
    value: o.value,
    traceId: o.traceId,
    spanId: o.spanId ?? null,
    ...(o.source !== undefined ? { source: o.source } : {}),
    rationale: o.rationale ?? null,
    metadata: o.metadata ?? null,
    ...(error !== undefined ? { error } : {}),
  };
}

/** Adds `span_name.inputs` / `span_name.outputs.field` columns to a trace's row. */
export function toRowWithFields(trace: Trace, fields: string[]): TraceRow {
  const row = trace.toRow();
  for (const field of fields) row[field] = extractField(trace, field);
  return row;
}

interface ExtractField {
  spanName: string;
  which: "inputs" | "outputs";
  key: string | undefined;
}

/**
 * Reads `span_name.inputs`, `span_name.outputs` or `span_name.outputs.field`; a span name with dots
 * is written in backquotes, as in MLflow: `` `my.span`.outputs.c ``.
 */
function parseExtractField(field: string): ExtractField {
  const match = /^(?:`([^`]+)`|([^`]+?))\.(inputs|outputs)(?:\.(.+))?$/.exec(field);
  if (!match) {
    throw new InvalidArgumentError(
      `Invalid extract field "${field}": use "span_name.inputs", "span_name.outputs" or "span_name.outputs.field" (backquote a span name with dots: "\`my.span\`.outputs").`,
    );
  }
  const [, quoted, plain, which, key] = match as unknown as [
    string,
    string | undefined,
    string | undefined,
    "inputs" | "outputs",
    string | undefined,
  ];
  return { spanName: (quoted ?? plain) as string, which, key };
}

function extractField(trace: Trace, field: string): unknown {
  const { spanName, which, key } = parseExtractField(field);
  const span = trace.searchSpans({ name: spanName })[0];
  if (!span) return null;
  const value = span[which];
  if (key === undefined) return value;
  return value !== null && typeof value === "object" ? ((value as Record<string, unknown>)[key] ?? null) : null;
}

/** MLflow's name for the client, for readers of the spec. */
export const MlflowClient = TracewrightClient;
export type MlflowClient = TracewrightClient;

const defaultClient = new TracewrightClient();

/** The stored trace with this id, or null (the fluent form of {@link TracewrightClient.getTrace}). */
export async function getTrace(traceId: string): Promise<Trace | null> {
  try {
    return await defaultClient.getTrace(traceId);
  } catch (e) {
    if (e instanceof TraceNotFoundError) return null;
    throw e;
  }
}

/**
 * Searches the configured store and returns flat rows (MLflow's DataFrame form), following
 * pages up to `maxResults` (default 100). `extractFields` adds columns such as `"span1.outputs.c"`.
 */
export async function searchTraces(options: ClientSearchOptions = {}): Promise<TraceRow[]> {
  checkSearchOptions(options);
  const want = pageSize(options.maxResults);
  const rows: TraceRow[] = [];
  let pageToken = options.pageToken;
  while (rows.length < want) {
    const page = await defaultClient.searchTraces({
      ...options,
      maxResults: want - rows.length,
      ...(pageToken !== undefined ? { pageToken } : {}),
    });
    for (const t of page.traces) rows.push(toRowWithFields(t, options.extractFields ?? []));
    if (!page.nextPageToken) break;
    pageToken = page.nextPageToken;
  }
  return rows;
}

/** Logs feedback on a trace or span (fluent form of {@link TracewrightClient.logFeedback}). */
export const logFeedback = (options: LogAssessmentOptions & { error?: AssessmentError }): Promise<Feedback> =>
  defaultClient.logFeedback(options);

/** Logs an expectation on a trace or span (fluent form of {@link TracewrightClient.logExpectation}). */
export const logExpectation = (options: LogAssessmentOptions): Promise<Expectation> =>
  defaultClient.logExpectation(options);
