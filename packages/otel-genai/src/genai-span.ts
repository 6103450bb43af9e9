import {
  type ChatMessage,
  type ChatTool,
  SpanAttributeKey,
  type SpanType,
  type TokenUsage,
  TokenUsageKey,
} from "@tracewright/core";
import { GenAiAttributeKey as Key, GenAiOperation as Op } from "@tracewright/core/instrumentation";
import {
  genAiMessagesToChat,
  genAiToolsToChat,
  outputText,
  parseJsonAttribute,
  systemInstructionsToChat,
} from "./genai-messages.js";

/**
 * How a span carrying OpenTelemetry GenAI semantic-convention attributes (`gen_ai.*`) becomes
 * an MLflow span: its type from `gen_ai.operation.name`, its inputs and outputs, chat messages,
 * tools and token usage from the conventions' payload attributes.
 */

type Attrs = Record<string, unknown>;

/** What a GenAI span records on its Tracewright span when it ends. */
export interface ConvertedGenAiSpan {
  spanType: SpanType;
  inputs?: unknown;
  outputs?: unknown;
  messages?: ChatMessage[];
  tools?: ChatTool[];
  usage?: TokenUsage;
  /** Attributes kept as they are: everything but the payloads converted above. */
  attributes: Attrs;
}

/**
 * What one instrumentation records beyond the conventions (the AI SDK's embedded texts, say):
 * its payload attributes are converted by `complete` and not kept as attributes.
 */
export interface GenAiSpanExtension {
  /** The instrumentation's payload attributes `complete` converts (left out of `attributes`). */
  readonly payloadKeys: ReadonlySet<string>;
  /** Adds to what the conventions gave (`converted`), from the span's attributes. */
  complete(converted: ConvertedGenAiSpan, operation: string | undefined, attributes: Attrs): void;
}

/** Operation names of the conventions (and the AI SDK's) mapped to MLflow span types. */
const SPAN_TYPES: Record<string, SpanType> = {
  [Op.CHAT]: "CHAT_MODEL",
  [Op.GENERATE_CONTENT]: "CHAT_MODEL",
  [Op.TEXT_COMPLETION]: "LLM",
  [Op.EMBEDDINGS]: "EMBEDDING",
  [Op.EXECUTE_TOOL]: "TOOL",
  [Op.INVOKE_AGENT]: "AGENT",
  [Op.CREATE_AGENT]: "AGENT",
  [Op.AGENT_STEP]: "CHAIN",
  [Op.RETRIEVAL]: "RETRIEVER",
  [Op.RERANK]: "RERANKER",
};

/** Model calls: the spans whose token usage counts towards the trace's total. */
const MODEL_CALLS = new Set<string>([Op.CHAT, Op.GENERATE_CONTENT, Op.TEXT_COMPLETION, Op.EMBEDDINGS]);

/** Payload attributes that become inputs, outputs, messages or tools instead of staying as text. */
const CONVERTED = new Set<string>([
  Key.INPUT_MESSAGES,
  Key.OUTPUT_MESSAGES,
  Key.SYSTEM_INSTRUCTIONS,
  Key.TOOL_DEFINITIONS,
  Key.TOOL_CALL_ARGUMENTS,
  Key.TOOL_CALL_RESULT,
]);

/** The `gen_ai.operation.name` of a span, or undefined when it is not a GenAI span. */
export function genAiOperation(attributes: Attrs): string | undefined {
  const op = attributes[Key.OPERATION_NAME];
  return typeof op === "string" && op !== "" ? op : undefined;
}

/** The MLflow span type of a GenAI operation (`UNKNOWN` for operations the conventions add later). */
export function spanTypeOfOperation(operation: string | undefined): SpanType {
  return (operation && SPAN_TYPES[operation]) || "UNKNOWN";
}

/** Options of {@link convertGenAiSpan}. */
export interface ConvertOptions {
  /** An agent span whose run called no tool and took one step is recorded as CHAIN. */
  agentUsedTools?: boolean;
  /** What the instrumentation records beyond the conventions. */
  extension?: GenAiSpanExtension;
}

/** Converts the attributes a GenAI span ended with. */
export function convertGenAiSpan(attributes: Attrs, options: ConvertOptions = {}): ConvertedGenAiSpan {
  const operation = genAiOperation(attributes);
  const extension = options.extension;
  const kept: Attrs = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!CONVERTED.has(key) && !extension?.payloadKeys.has(key)) kept[key] = value;
  }
  const model = attributes[Key.RESPONSE_MODEL] ?? attributes[Key.REQUEST_MODEL];
  if (typeof model === "string") kept[SpanAttributeKey.MODEL] = model;
  const provider = attributes[Key.PROVIDER_NAME] ?? attributes[Key.SYSTEM];
  if (typeof provider === "string") kept[SpanAttributeKey.PROVIDER] = provider;
  const converted: ConvertedGenAiSpan = { spanType: spanTypeOfOperation(operation), attributes: kept };

  switch (operation) {
    case Op.CHAT:
    case Op.GENERATE_CONTENT:
    case Op.TEXT_COMPLETION:
      recordModelCall(converted, attributes);
      break;
    case Op.INVOKE_AGENT:
    case Op.CREATE_AGENT:
      recordAgent(converted, attributes, options);
      break;
    case Op.EXECUTE_TOOL:
      if (Key.TOOL_CALL_ARGUMENTS in attributes)
        converted.inputs = parseJsonAttribute(attributes[Key.TOOL_CALL_ARGUMENTS]);
      if (Key.TOOL_CALL_RESULT in attributes) converted.outputs = parseJsonAttribute(attributes[Key.TOOL_CALL_RESULT]);
      break;
    case Op.EMBEDDINGS:
      break; // the conventions define no payload for embeddings: an extension may
    default:
      if (Key.INPUT_MESSAGES in attributes)
        converted.inputs = { messages: genAiMessagesToChat(attributes[Key.INPUT_MESSAGES]) };
      if (Key.OUTPUT_MESSAGES in attributes) converted.outputs = genAiMessagesToChat(attributes[Key.OUTPUT_MESSAGES]);
  }
  if (operation && MODEL_CALLS.has(operation)) {
    const usage = tokenUsage(attributes);
    if (usage) converted.usage = usage;
  }
  extension?.complete(converted, operation, attributes);
  return converted;
}

function requestParameters(attributes: Attrs): Attrs {
  const params: Attrs = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith(Key.REQUEST_PREFIX)) params[key.slice(Key.REQUEST_PREFIX.length)] = value;
  }
  return params;
}

function promptMessages(attributes: Attrs): ChatMessage[] {
  return [
    ...systemInstructionsToChat(attributes[Key.SYSTEM_INSTRUCTIONS]),
    ...genAiMessagesToChat(attributes[Key.INPUT_MESSAGES]),
  ];
}

function recordModelCall(converted: ConvertedGenAiSpan, attributes: Attrs): void {
  const prompt = promptMessages(attributes);
  const output = genAiMessagesToChat(attributes[Key.OUTPUT_MESSAGES]);
  const tools = genAiToolsToChat(attributes[Key.TOOL_DEFINITIONS]);
  converted.inputs = { messages: prompt, ...requestParameters(attributes), ...(tools.length ? { tools } : {}) };
  if (Key.OUTPUT_MESSAGES in attributes) {
    const finish = attributes[Key.RESPONSE_FINISH_REASONS];
    const id = attributes[Key.RESPONSE_ID];
    converted.outputs = {
      ...(typeof id === "string" ? { id } : {}),
      choices: output.map((message, index) => ({
        index,
        message,
        finish_reason: Array.isArray(finish) ? (finish[index] ?? null) : null,
      })),
    };
  }
  converted.messages = [...prompt, ...output];
  if (tools.length > 0) converted.tools = tools;
}

function recordAgent(converted: ConvertedGenAiSpan, attributes: Attrs, options: ConvertOptions): void {
  if (!options.agentUsedTools) converted.spanType = "CHAIN";
  const prompt = promptMessages(attributes);
  if (prompt.length > 0) converted.inputs = { messages: prompt };
  if (!(Key.OUTPUT_MESSAGES in attributes)) return;
  const text = outputText(attributes[Key.OUTPUT_MESSAGES]);
  if (text === undefined) converted.outputs = genAiMessagesToChat(attributes[Key.OUTPUT_MESSAGES]);
  // a structured output (generateObject) is recorded as the object it is
  else converted.outputs = attributes[Key.OUTPUT_TYPE] === "json" ? parseJsonAttribute(text) : text;
}

function tokenUsage(attributes: Attrs): TokenUsage | undefined {
  const input = attributes[Key.USAGE_INPUT_TOKENS];
  const output = attributes[Key.USAGE_OUTPUT_TOKENS];
  if (typeof input !== "number" && typeof output !== "number") return undefined;
  const usage: Record<string, number> = {
    [TokenUsageKey.INPUT_TOKENS]: typeof input === "number" ? input : 0,
    [TokenUsageKey.OUTPUT_TOKENS]: typeof output === "number" ? output : 0,
  };
  usage[TokenUsageKey.TOTAL_TOKENS] = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
  const cacheRead = attributes[Key.USAGE_CACHE_READ_INPUT_TOKENS];
  if (typeof cacheRead === "number" && cacheRead > 0) usage[TokenUsageKey.CACHE_READ_INPUT_TOKENS] = cacheRead;
  const cacheWrite = attributes[Key.USAGE_CACHE_CREATION_INPUT_TOKENS];
  if (typeof cacheWrite === "number" && cacheWrite > 0) usage[TokenUsageKey.CACHE_CREATION_INPUT_TOKENS] = cacheWrite;
  return usage as unknown as TokenUsage;
}
