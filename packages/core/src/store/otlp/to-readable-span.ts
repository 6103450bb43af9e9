import type { Attributes, HrTime, SpanContext } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { SpanAttributeKey } from "../../constants.js";
import type { Span } from "../../entities/span.js";
import type { Trace } from "../../entities/trace.js";
import { GenAiAttributeKey } from "../../genai-keys.js";
import { fromJson } from "../../internal/json.js";

const hr = (ns: number): HrTime => [Math.floor(ns / 1e9), Math.round(ns % 1e9)];
const STATUS_CODES = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** Maps MLflow span types to OpenTelemetry GenAI operation names. */
const GENAI_OPERATION: Record<string, string> = {
  CHAT_MODEL: "chat",
  LLM: "text_completion",
  EMBEDDING: "embeddings",
  TOOL: "execute_tool",
  AGENT: "invoke_agent",
};

/**
 * The OpenTelemetry GenAI semantic-convention attributes (`gen_ai.*`) for a span, derived from
 * its MLflow attributes, for tools that read those rather than MLflow's keys.
 */
export function genAiAttributes(span: Span): Attributes {
  const out: Attributes = {};
  const operation = GENAI_OPERATION[span.spanType];
  if (operation) out[GenAiAttributeKey.OPERATION_NAME] = operation;
  const model = span.getAttribute(SpanAttributeKey.MODEL) ?? span.getAttribute("model");
  if (typeof model === "string") out[GenAiAttributeKey.REQUEST_MODEL] = model;
  const provider = span.getAttribute(SpanAttributeKey.PROVIDER);
  if (typeof provider === "string") out[GenAiAttributeKey.SYSTEM] = provider;
  const usage = span.getAttribute(SpanAttributeKey.CHAT_USAGE) as Record<string, number> | undefined;
  if (usage && typeof usage === "object") {
    if (typeof usage.input_tokens === "number") out[GenAiAttributeKey.USAGE_INPUT_TOKENS] = usage.input_tokens;
    if (typeof usage.output_tokens === "number") out[GenAiAttributeKey.USAGE_OUTPUT_TOKENS] = usage.output_tokens;
    if (typeof usage.cache_read_input_tokens === "number") {
      out[GenAiAttributeKey.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_input_tokens;
    }
  }
  if (span.spanType === "TOOL") out[GenAiAttributeKey.TOOL_NAME] = span.name;
  return out;
}

/**
 * A finished span as OpenTelemetry's exporters take it. MLflow attributes keep their keys; values
 * are sent decoded (a string stays a string, an object becomes an OTLP key-value list), as
 * MLflow's own OTLP export does.
 */
export function toReadableSpan(span: Span, trace: Trace, resource: Resource): ReadableSpan {
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(span.toDict().attributes)) attributes[k] = fromJson(v);
  Object.assign(attributes, genAiAttributes(span));
  const otelTraceId = trace.info.traceId.startsWith("tr-") ? trace.info.traceId.slice(3) : trace.info.traceId;
  const context: SpanContext = { traceId: otelTraceId, spanId: span.spanId, traceFlags: 1 };
  const end = span.endTimeNs ?? span.startTimeNs;
  return {
    name: span.name,
    kind: 0,
    spanContext: () => context,
    ...(span.parentId || span.remoteParentId
      ? {
          parentSpanContext: {
            traceId: otelTraceId,
            spanId: (span.parentId ?? span.remoteParentId) as string,
            traceFlags: 1,
          },
        }
      : {}),
    startTime: hr(span.startTimeNs),
    endTime: hr(end),
    duration: hr(end - span.startTimeNs),
    status: {
      code: STATUS_CODES[span.status.statusCode],
      ...(span.status.description ? { message: span.status.description } : {}),
    },
    attributes: attributes as Attributes,
    links: [],
    events: span.events.map((e) => ({ name: e.name, time: hr(e.timestamp), attributes: { ...e.attributes } })),
    ended: true,
    resource,
    instrumentationScope: { name: "tracewright" },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  } as ReadableSpan;
}
