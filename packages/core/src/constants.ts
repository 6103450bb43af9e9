/**
 * Attribute, metadata and tag keys shared with MLflow, so that MLflow's own tools
 * read Tracewright traces unchanged. Every key lives here and nowhere else.
 */

/** Built-in span types. Any other string is a valid custom span type. */
export const SpanType = {
  LLM: "LLM",
  CHAT_MODEL: "CHAT_MODEL",
  CHAIN: "CHAIN",
  AGENT: "AGENT",
  TOOL: "TOOL",
  EMBEDDING: "EMBEDDING",
  RETRIEVER: "RETRIEVER",
  PARSER: "PARSER",
  RERANKER: "RERANKER",
  MEMORY: "MEMORY",
  UNKNOWN: "UNKNOWN",
} as const;

/** A built-in span type, or any custom string such as `"MATH"`. */
export type SpanType = (typeof SpanType)[keyof typeof SpanType] | (string & {});

/** Span attribute keys with special meaning. Values are stored JSON-encoded. */
export const SpanAttributeKey = {
  REQUEST_ID: "mlflow.traceRequestId",
  EXPERIMENT_ID: "mlflow.experimentId",
  SPAN_TYPE: "mlflow.spanType",
  INPUTS: "mlflow.spanInputs",
  OUTPUTS: "mlflow.spanOutputs",
  FUNCTION_NAME: "mlflow.spanFunctionName",
  CHAT_MESSAGES: "mlflow.chat.messages",
  CHAT_TOOLS: "mlflow.chat.tools",
  CHAT_USAGE: "mlflow.chat.tokenUsage",
  MESSAGE_FORMAT: "mlflow.message.format",
  MODEL: "mlflow.llm.model",
  PROVIDER: "mlflow.llm.provider",
  START_TIME_NS: "mlflow.spanStartTimeNs",
  CHUNK_ITEM_PREFIX: "mlflow.chunk.item.",
  CHUNK_VALUE: "mlflow.chunk.value",
} as const;

/** Trace metadata keys (string values, set while the trace is in progress). */
export const TraceMetadataKey = {
  SCHEMA_VERSION: "mlflow.trace_schema.version",
  TOKEN_USAGE: "mlflow.trace.tokenUsage",
  TRACE_USER: "mlflow.trace.user",
  TRACE_SESSION: "mlflow.trace.session",
  SOURCE_RUN: "mlflow.sourceRun",
  MODEL_ID: "mlflow.modelId",
  SIZE_BYTES: "mlflow.trace.sizeBytes",
  SIZE_STATS: "mlflow.trace.sizeStats",
  SPANS_LOCATION: "mlflow.trace.spansLocation",
  USER: "mlflow.user",
  SOURCE_NAME: "mlflow.source.name",
  SOURCE_TYPE: "mlflow.source.type",
  INPUTS: "mlflow.traceInputs",
  OUTPUTS: "mlflow.traceOutputs",
} as const;

/** Trace tag keys with special meaning. */
export const TraceTagKey = {
  TRACE_NAME: "mlflow.traceName",
  ARTIFACT_LOCATION: "mlflow.artifactLocation",
} as const;

/** Keys inside the token-usage objects (`mlflow.chat.tokenUsage`, `mlflow.trace.tokenUsage`). */
export const TokenUsageKey = {
  INPUT_TOKENS: "input_tokens",
  OUTPUT_TOKENS: "output_tokens",
  TOTAL_TOKENS: "total_tokens",
  CACHE_READ_INPUT_TOKENS: "cache_read_input_tokens",
  CACHE_CREATION_INPUT_TOKENS: "cache_creation_input_tokens",
} as const;

/** The trace schema version MLflow 3 writes. */
export const TRACE_SCHEMA_VERSION = "3";

/** Request/response previews are cut to this many characters. */
export const MAX_PREVIEW_CHARS = 1000;

/** Prefix of MLflow 3 trace ids. */
export const TRACE_ID_PREFIX = "tr-";

/** The experiment traces go to when none is set. */
export const DEFAULT_EXPERIMENT_ID = "0";
