/**
 * What a traced Bedrock call records, in MLflow's formats: span names and types as MLflow's
 * bedrock autolog has them, the request and response (InvokeModel bodies parsed from their
 * bytes), chat messages, tools, token usage, model and provider.
 */
import {
  type ChatMessage,
  type LiveSpan,
  SpanAttributeKey,
  SpanType,
  setSpanChatMessages,
  type TokenUsage,
} from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";
import { converseInputMessages, converseOutputMessages, converseTools } from "./converse.js";
import { invokeInputMessages, invokeOutputMessages, invokeTools, isEmbeddingBody, parseBody } from "./invoke-model.js";
import type { HandlerResult, Operation, OperationKind } from "./types.js";
import { toTokenUsage, usageFromHeaders, usageFromInvokeBody } from "./usage.js";

type Obj = Record<string, unknown>;

/** The traced operations, named as MLflow's bedrock autolog names their spans. */
export const OPERATIONS: readonly Operation[] = [
  { kind: "converse", command: "ConverseCommand", spanName: "BedrockRuntime.converse" },
  {
    kind: "converseStream",
    command: "ConverseStreamCommand",
    spanName: "BedrockRuntime.converse_stream",
    streamMember: "stream",
  },
  { kind: "invokeModel", command: "InvokeModelCommand", spanName: "BedrockRuntime.invoke_model" },
  {
    kind: "invokeModelStream",
    command: "InvokeModelWithResponseStreamCommand",
    spanName: "BedrockRuntime.invoke_model_with_response_stream",
    streamMember: "body",
  },
];

const isConverse = (kind: OperationKind) => kind === "converse" || kind === "converseStream";

/** The request as recorded: the command input, an InvokeModel body parsed from its string or bytes. */
export function recordedInput(kind: OperationKind, input: Obj): Obj {
  if (isConverse(kind) || !("body" in input)) return input;
  const body = parseBody(input.body);
  return body === null ? input : { ...input, body };
}

/** The model as `mlflow.llm.model` names it: the model id, an inference profile or ARN as given. */
function modelOf(input: Obj): string | undefined {
  return typeof input.modelId === "string" ? input.modelId : undefined;
}

/** Numeric and boolean request parameters (never text: they are no one's content). */
function parameterAttributes(input: Obj): Obj {
  const out: Obj = {};
  const source = isRecord(input.inferenceConfig) ? input.inferenceConfig : isRecord(input.body) ? input.body : {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/** Attributes known when the call starts (the span's redactor sees each of them). */
export function startAttributes(kind: OperationKind, recorded: Obj): Obj {
  const attributes = parameterAttributes(recorded);
  attributes[SpanAttributeKey.MESSAGE_FORMAT] = "bedrock";
  attributes[SpanAttributeKey.PROVIDER] = "bedrock";
  const model = modelOf(recorded);
  if (model) attributes[SpanAttributeKey.MODEL] = model;
  const tools = isConverse(kind) ? converseTools(recorded.toolConfig) : invokeTools(recorded.body);
  if (tools.length > 0) attributes[SpanAttributeKey.CHAT_TOOLS] = tools;
  return attributes;
}

/** The span type at the start; an InvokeModel span is retyped EMBEDDING when its reply is an embedding. */
export const START_SPAN_TYPE = SpanType.CHAT_MODEL;

/** The request's messages, for the operation's request shape. */
export function inputMessages(kind: OperationKind, recorded: Obj): ChatMessage[] {
  return isConverse(kind) ? converseInputMessages(recorded) : invokeInputMessages(recorded.body);
}

/** Sets the conversation (request then reply) on the span, when there is one. */
export function recordMessages(span: LiveSpan, input: ChatMessage[], output: ChatMessage[]): void {
  const messages = [...input, ...output].filter((m) => isRecord(m) && typeof m.role === "string");
  if (messages.length > 0) setSpanChatMessages(span, messages);
}

function recordUsage(span: LiveSpan, usage: TokenUsage | null): void {
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
}

/** The HTTP status, from a response or an SDK error's `$metadata`. */
export function recordStatus(span: LiveSpan, status: unknown): void {
  if (typeof status === "number") span.setAttribute("http.response.status_code", status);
}

/** Records a finished Converse call (or a ConverseStream rebuilt into one). */
export function recordConverse(span: LiveSpan, recorded: Obj, output: Obj): void {
  span.setOutputs(output);
  recordUsage(span, toTokenUsage(output.usage));
  recordMessages(span, converseInputMessages(recorded), converseOutputMessages(output));
}

/** Records a finished InvokeModel call: the parsed body as outputs, the family's usage (or Bedrock's headers). */
export function recordInvokeModel(span: LiveSpan, recorded: Obj, result: HandlerResult): void {
  const { output } = result;
  const body = parseBody(output.body);
  span.setOutputs(body === null ? output : { ...output, body });
  if (isEmbeddingBody(body)) {
    span.setSpanType(SpanType.EMBEDDING);
    return;
  }
  recordUsage(span, usageFromInvokeBody(body) ?? usageFromHeaders(result.response?.headers));
  const model = isRecord(body) && typeof body.model === "string" ? body.model : undefined;
  if (model) span.setAttribute("bedrock.response.model", model);
  recordMessages(span, invokeInputMessages(recorded.body), invokeOutputMessages(body));
}
