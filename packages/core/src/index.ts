/**
 * Tracewright core: MLflow-compatible tracing for LLM applications. This entry is for application
 * code; store classes beyond the common three are in `@tracewright/core/stores`, and what
 * integration authors need is in `@tracewright/core/instrumentation`.
 *
 * @packageDocumentation
 */

export {
  type ClientSearchOptions,
  getTrace,
  type LogAssessmentOptions,
  logExpectation,
  logFeedback,
  MlflowClient,
  searchTraces,
  TracewrightClient,
} from "./client.js";
export {
  getTraceStore,
  getTrackingUri,
  setTraceDestinations,
  setTraceStore,
  setTrackingUri,
} from "./config/destination.js";
export { setExperiment } from "./config/experiment.js";
export {
  DEFAULT_EXPERIMENT_ID,
  MAX_PREVIEW_CHARS,
  SpanAttributeKey,
  SpanType,
  TokenUsageKey,
  TRACE_SCHEMA_VERSION,
  TraceMetadataKey,
  TraceTagKey,
} from "./constants.js";
export {
  Assessment,
  type AssessmentError,
  type AssessmentInit,
  AssessmentSource,
  type AssessmentSourceLike,
  AssessmentSourceType,
  Expectation,
  Feedback,
} from "./entities/assessment.js";
export { Document, type DocumentDict } from "./entities/document.js";
export { type EndSpanOptions, LiveSpan } from "./entities/live-span.js";
export { Span, type SpanDict } from "./entities/span.js";
export { type EventAttributeValue, SpanEvent } from "./entities/span-event.js";
export { SpanStatus, SpanStatusCode } from "./entities/span-status.js";
export {
  type AssessmentSearch,
  type SpanSearch,
  Trace,
  type TraceDict,
  type TraceRow,
} from "./entities/trace.js";
export { TraceData } from "./entities/trace-data.js";
export { type TokenUsage, TraceInfo, type TraceLocation, TraceState } from "./entities/trace-info.js";
export {
  ConfigurationError,
  InvalidArgumentError,
  InvalidFilterError,
  StoreClosedError,
  TraceNotFoundError,
  TracesNotStoredError,
  TracewrightError,
} from "./errors.js";
export { setMaxPayloadStringChars } from "./internal/json.js";
export { InMemoryTraceStore } from "./store/memory-store.js";
export { MlflowRestError } from "./store/mlflow/rest-client.js";
export { type OtlpProtocol, OtlpTraceExporter, OtlpTraceStore } from "./store/otlp/otlp-store.js";
export { SqliteTraceStore } from "./store/sqlite/sqlite-store.js";
export type {
  DeleteTracesOptions,
  Experiment,
  MaybePromise,
  SearchTracesOptions,
  TraceExporter,
  TracePage,
  TraceStore,
} from "./store/trace-store.js";
export {
  getTracingContextHeadersForHttpRequest,
  type IncomingTracingHeaders,
  withTracingContextFromHeaders,
} from "./tracing/distributed.js";
export {
  type ExportStats,
  enableAsyncLogging,
  flushTraces,
  getExportStats,
  isAsyncLogging,
  setExportQueueLimits,
} from "./tracing/export-queue.js";
export {
  type ChatMessage,
  type ChatTool,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  type StartSpanOptions,
  setSpanChatMessages,
  setSpanChatTools,
  startSpan,
  type TraceDecorator,
  type TraceOptions,
  trace,
  type UpdateTraceOptions,
  updateCurrentTrace,
  withSpan,
} from "./tracing/fluent.js";
export { type RedactionContext, type RedactionTarget, type Redactor, setRedactor } from "./tracing/redaction.js";
export { endRun, getActiveRunId, type Run, startRun, withRun } from "./tracing/runs.js";
export { disableTracing, enableTracing, tracingIsEnabled } from "./tracing/state.js";
export {
  DEFAULT_MAX_SPAN_BYTES,
  DEFAULT_MAX_TRACE_BYTES,
  setTraceSizeLimits,
  TRUNCATION_METADATA_KEY,
} from "./tracing/trace-size.js";
