import {
  type ChatMessage,
  type ChatTool,
  SpanAttributeKey,
  type SpanType,
  type TokenUsage,
  TokenUsageKey,
} from "@tracewright/core";
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

/** Operation names of the conventions (and the AI SDK's) mapped to MLflow span types. */
const SPAN_TYPES: Record<string, SpanType> = {
  chat: "CHAT_MODEL",
  generate_content: "CHAT_MODEL",
  text_completion: "LLM",
  embeddings: "EMBEDDING",
  execute_tool: "TOOL",
  invoke_agent: "AGENT",
  create_agent: "AGENT",
  agent_step: "CHAIN",
  retrieval: "RETRIEVER",
  rerank: "RERANKER",
};

/** Model calls: the spans whose token usage counts towards the trace's total. */
const MODEL_CALLS = new Set(["chat", "generate_content", "text_completion", "embeddings"]);

/** Payload attributes that become inputs, outputs, messages or tools instead of staying as text. */
const CONVERTED = new Set([
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.system_instructions",
  "gen_ai.tool.definitions",
  "gen_ai.tool.call.arguments",
  "gen_ai.tool.call.result",
  "ai.values",
  "ai.value",
  "ai.embeddings",
  "ai.embedding",
]);

const REQUEST_PREFIX = "gen_ai.request.";

/** The `gen_ai.operation.name` of a span, or undefined when it is not a GenAI span. */
export function genAiOperation(attributes: Attrs): string | undefined {
  const op = attributes["gen_ai.operation.name"];
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
}

/** Converts the attributes a GenAI span ended with. */
export function convertGenAiSpan(attributes: Attrs, options: ConvertOptions = {}): ConvertedGenAiSpan {
  const operation = genAiOperation(attributes);
  const kept: Attrs = {};
  for (const [key, value] of Object.entries(attributes)) if (!CONVERTED.has(key)) kept[key] = value;
  const model = attributes["gen_ai.response.model"] ?? attributes["gen_ai.request.model"];
  if (typeof model === "string") kept[SpanAttributeKey.MODEL] = model;
  const provider = attributes["gen_ai.provider.name"] ?? attributes["gen_ai.system"];
  if (typeof provider === "string") kept[SpanAttributeKey.PROVIDER] = provider;
  const converted: ConvertedGenAiSpan = { spanType: spanTypeOfOperation(operation), attributes: kept };

  switch (operation) {
    case "chat":
    case "generate_content":
    case "text_completion":
      recordModelCall(converted, attributes);
      break;
    case "invoke_agent":
    case "create_agent":
      recordAgent(converted, attributes, options);
      break;
    case "execute_tool":
      if ("gen_ai.tool.call.arguments" in attributes)
        converted.inputs = parseJsonAttribute(attributes["gen_ai.tool.call.arguments"]);
      if ("gen_ai.tool.call.result" in attributes)
        converted.outputs = parseJsonAttribute(attributes["gen_ai.tool.call.result"]);
      break;
    case "embeddings":
      recordEmbeddings(converted, attributes);
      break;
    default:
      if ("gen_ai.input.messages" in attributes)
        converted.inputs = { messages: genAiMessagesToChat(attributes["gen_ai.input.messages"]) };
      if ("gen_ai.output.messages" in attributes)
        converted.outputs = genAiMessagesToChat(attributes["gen_ai.output.messages"]);
  }
  if (operation && MODEL_CALLS.has(operation)) {
    const usage = tokenUsage(attributes);
    if (usage) converted.usage = usage;
  }
  return converted;
}

function requestParameters(attributes: Attrs): Attrs {
  const params: Attrs = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith(REQUEST_PREFIX)) params[key.slice(REQUEST_PREFIX.length)] = value;
  }
  return params;
}

function promptMessages(attributes: Attrs): ChatMessage[] {
  return [
    ...systemInstructionsToChat(attributes["gen_ai.system_instructions"]),
    ...genAiMessagesToChat(attributes["gen_ai.input.messages"]),
  ];
}

function recordModelCall(converted: ConvertedGenAiSpan, attributes: Attrs): void {
  const prompt = promptMessages(attributes);
  const output = genAiMessagesToChat(attributes["gen_ai.output.messages"]);
  const tools = genAiToolsToChat(attributes["gen_ai.tool.definitions"]);
  converted.inputs = { messages: prompt, ...requestParameters(attributes), ...(tools.length ? { tools } : {}) };
  if ("gen_ai.output.messages" in attributes) {
    const finish = attributes["gen_ai.response.finish_reasons"];
    converted.outputs = {
      ...(typeof attributes["gen_ai.response.id"] === "string" ? { id: attributes["gen_ai.response.id"] } : {}),
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
  if (!("gen_ai.output.messages" in attributes)) return;
  const text = outputText(attributes["gen_ai.output.messages"]);
  if (text === undefined) converted.outputs = genAiMessagesToChat(attributes["gen_ai.output.messages"]);
  // a structured output (generateObject) is recorded as the object it is
  else converted.outputs = attributes["gen_ai.output.type"] === "json" ? parseJsonAttribute(text) : text;
}

function recordEmbeddings(converted: ConvertedGenAiSpan, attributes: Attrs): void {
  const values =
    attributes["ai.values"] ?? (attributes["ai.value"] === undefined ? undefined : [attributes["ai.value"]]);
  if (Array.isArray(values)) converted.inputs = { input: values.map(parseJsonAttribute) };
  const vectors =
    attributes["ai.embeddings"] ??
    (attributes["ai.embedding"] === undefined ? undefined : [attributes["ai.embedding"]]);
  if (Array.isArray(vectors)) {
    // vectors are large: record their shape (count, dimensions), as the other integrations do
    converted.outputs = { count: vectors.length, dimensions: dimensionsOf(vectors[0]) };
  }
}

function dimensionsOf(vector: unknown): number {
  if (Array.isArray(vector)) return vector.length;
  if (typeof vector !== "string" || vector.length < 3) return 0;
  let commas = 0;
  for (let i = 0; i < vector.length; i++) if (vector.charCodeAt(i) === 44) commas++;
  return commas + 1;
}

function tokenUsage(attributes: Attrs): TokenUsage | undefined {
  const input = attributes["gen_ai.usage.input_tokens"];
  const output = attributes["gen_ai.usage.output_tokens"];
  if (typeof input !== "number" && typeof output !== "number") return undefined;
  const usage: Record<string, number> = {
    [TokenUsageKey.INPUT_TOKENS]: typeof input === "number" ? input : 0,
    [TokenUsageKey.OUTPUT_TOKENS]: typeof output === "number" ? output : 0,
  };
  usage[TokenUsageKey.TOTAL_TOKENS] = (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0);
  const cacheRead = attributes["gen_ai.usage.cache_read.input_tokens"];
  if (typeof cacheRead === "number" && cacheRead > 0) usage[TokenUsageKey.CACHE_READ_INPUT_TOKENS] = cacheRead;
  const cacheWrite = attributes["gen_ai.usage.cache_creation.input_tokens"];
  if (typeof cacheWrite === "number" && cacheWrite > 0) usage[TokenUsageKey.CACHE_CREATION_INPUT_TOKENS] = cacheWrite;
  return usage as unknown as TokenUsage;
}
