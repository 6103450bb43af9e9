/**
 * What is traced, per LlamaIndex.TS component: which base class (by name, so every copy of
 * `@llamaindex/core` matches), which methods, the span type, and how inputs and results are
 * recorded. Span types follow MLflow's LlamaIndex tracer.
 */
import {
  type LiveSpan,
  SpanAttributeKey,
  type SpanType,
  setSpanChatMessages,
  setSpanChatTools,
} from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";
import {
  embeddingSummary,
  responseText,
  toChatMessage,
  toChatTool,
  toDocuments,
  toolMetadata,
  toTokenUsage,
} from "./convert.js";
import type { StreamSummary } from "./stream.js";
import type { CallSettings } from "./types.js";

type Obj = Record<string, unknown>;
const firstArg = (args: unknown[]): Obj => (isRecord(args[0]) ? args[0] : {});

/** How one traced method records its span. */
export interface MethodSpec {
  method: string;
  spanType: SpanType;
  /** Span name; defaults to `<Class>.<method>`. */
  name?: (self: Obj, args: unknown[]) => string | undefined;
  inputs: (args: unknown[], self: Obj) => unknown;
  /** Attributes known at the start (model parameters, tools, ...). */
  start?: (span: LiveSpan, self: Obj, args: unknown[], settings: CallSettings) => void;
  /** Records the awaited result. */
  result: (span: LiveSpan, result: unknown, self: Obj, args: unknown[], settings: CallSettings) => void;
  /** Records a streamed result once consumed; without it, a stream's text becomes the output. */
  stream?: (span: LiveSpan, summary: StreamSummary, self: Obj, args: unknown[]) => void;
  /** Whether this call streams (checked before the result arrives). */
  streams?: (args: unknown[]) => boolean;
  /** Span types an SDK instrumentation opens inside this span, dropped when suppressNestedSdkSpans. */
  sdkChildTypes?: readonly SpanType[];
}

/**
 * A method that LlamaIndex sets as an instance property in its constructor (`this.call = ...`),
 * traced through an accessor on the class prototype that wraps what the constructor assigns.
 */
export interface PropertySpec extends MethodSpec {}

export interface ComponentSpec {
  /**
   * A class name in the prototype chain that identifies the component (a name, so that every
   * copy of `@llamaindex/core` matches). The first matching spec in {@link COMPONENTS} wins.
   */
  base: string | RegExp;
  methods: MethodSpec[];
  properties?: PropertySpec[];
}

const MODEL_CALL_TYPES = ["CHAT_MODEL", "LLM", "EMBEDDING"] as const satisfies readonly SpanType[];

function llmStart(span: LiveSpan, self: Obj): void {
  span.setAttribute(SpanAttributeKey.MESSAGE_FORMAT, "llamaindex");
  let metadata: Obj = {};
  try {
    if (isRecord(self.metadata)) metadata = self.metadata; // a provider's getter may throw for unknown models
  } catch {}
  if (typeof metadata.model === "string") span.setAttribute(SpanAttributeKey.MODEL, metadata.model);
  for (const [key, attribute] of [
    ["temperature", "temperature"],
    ["topP", "top_p"],
    ["maxTokens", "max_tokens"],
  ] as const) {
    if (typeof metadata[key] === "number") span.setAttribute(attribute, metadata[key]);
  }
}

function recordUsage(span: LiveSpan, raw: unknown): void {
  const usage = toTokenUsage(raw);
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
}

/** The assistant message a chat stream amounted to, with the tool calls of its last chunks. */
function streamedMessage(summary: StreamSummary): Obj {
  const toolCalls = new Map<string, unknown>();
  for (const chunk of summary.chunks) {
    const calls = isRecord(chunk) && isRecord(chunk.options) ? chunk.options.toolCall : undefined;
    if (Array.isArray(calls)) for (const call of calls.filter(isRecord)) toolCalls.set(String(call.id), call);
  }
  const message: Obj = { role: "assistant", content: summary.text };
  if (toolCalls.size > 0) message.options = { toolCall: [...toolCalls.values()] };
  return message;
}

function lastUsage(summary: StreamSummary): unknown {
  for (let i = summary.chunks.length - 1; i >= 0; i--) {
    const raw = (summary.chunks[i] as { raw?: unknown } | null)?.raw;
    if (toTokenUsage(raw)) return raw;
  }
  return undefined;
}

const chat: MethodSpec = {
  method: "chat",
  spanType: "CHAT_MODEL",
  sdkChildTypes: MODEL_CALL_TYPES,
  inputs: (args) => {
    const { tools, ...rest } = firstArg(args);
    return tools === undefined ? rest : { ...rest, tools: toolMetadata(tools) };
  },
  streams: (args) => firstArg(args).stream === true,
  start: (span, self, args) => {
    llmStart(span, self);
    const tools = firstArg(args).tools;
    const chatTools = Array.isArray(tools) ? tools.map(toChatTool).filter((t) => t !== null) : [];
    if (chatTools.length > 0) setSpanChatTools(span, chatTools);
  },
  result: (span, response, _self, args) => {
    span.setOutputs(response);
    const input = firstArg(args).messages;
    const output = isRecord(response) ? response.message : undefined;
    const messages = [...(Array.isArray(input) ? input : []), ...(output ? [output] : [])];
    setSpanChatMessages(span, messages.map(toChatMessage));
    recordUsage(span, isRecord(response) ? response.raw : undefined);
  },
  stream: (span, summary, _self, args) => {
    const message = streamedMessage(summary);
    span.setOutputs({ message });
    const input = firstArg(args).messages;
    setSpanChatMessages(span, [...(Array.isArray(input) ? input : []), message].map(toChatMessage));
    recordUsage(span, lastUsage(summary));
  },
};

const complete: MethodSpec = {
  method: "complete",
  spanType: "LLM",
  sdkChildTypes: MODEL_CALL_TYPES,
  inputs: (args) => firstArg(args),
  streams: (args) => firstArg(args).stream === true,
  start: (span, self) => llmStart(span, self),
  result: (span, response) => {
    span.setOutputs(response);
    recordUsage(span, isRecord(response) ? response.raw : undefined);
  },
};

function embedding(method: string, inputs: (args: unknown[]) => unknown): MethodSpec {
  return {
    method,
    spanType: "EMBEDDING",
    sdkChildTypes: MODEL_CALL_TYPES,
    inputs,
    start: (span, self) => {
      if (typeof self.model === "string") span.setAttribute(SpanAttributeKey.MODEL, self.model);
    },
    result: (span, vectors, _self, _args, settings) =>
      span.setOutputs(embeddingSummary(vectors, settings.extra.recordEmbeddingVectors)),
  };
}

const textOutput = (span: LiveSpan, result: unknown) => span.setOutputs(responseText(result));
const queryText = (query: unknown): unknown => (isRecord(query) && "query" in query ? query.query : query);

/** LlamaIndex's tool wrapper knows the tool's name; the span carries it. */
const toolName = (self: Obj): string | undefined =>
  isRecord(self.metadata) && typeof self.metadata.name === "string" ? self.metadata.name : undefined;

const toolCall: MethodSpec = {
  method: "call",
  spanType: "TOOL",
  name: toolName,
  inputs: (args) => args[0],
  start: (span, self) => {
    if (isRecord(self.metadata) && typeof self.metadata.description === "string")
      span.setAttribute("description", self.metadata.description);
  },
  result: (span, output) => span.setOutputs(output),
};

export const COMPONENTS: readonly ComponentSpec[] = [
  { base: "BaseLLM", methods: [chat, complete] },
  {
    base: "BaseEmbedding",
    methods: [
      embedding("getTextEmbeddingsBatch", (args) => ({ texts: args[0] })),
      embedding("getQueryEmbedding", (args) => ({ query: args[0] })),
      embedding("getTextEmbedding", (args) => ({ text: args[0] })),
    ],
    properties: [embedding("getTextEmbeddings", (args) => ({ texts: args[0] }))],
  },
  {
    base: "BaseRetriever",
    methods: [
      {
        method: "retrieve",
        spanType: "RETRIEVER",
        inputs: (args) => ({ query: queryText(args[0]) }),
        result: (span, nodes) => span.setOutputs(toDocuments(nodes)),
      },
    ],
  },
  {
    base: "BaseQueryEngine",
    methods: [
      {
        method: "query",
        spanType: "CHAIN",
        inputs: (args) => ({ query: queryText(firstArg(args).query ?? args[0]) }),
        streams: (args) => firstArg(args).stream === true,
        result: textOutput,
      },
    ],
  },
  {
    // Legacy agents (`OpenAIAgent`, `ReActAgent`, ...): one AGENT span per chat turn.
    base: "AgentRunner",
    methods: [
      {
        method: "chat",
        spanType: "AGENT",
        inputs: (args) => {
          const { message, chatHistory } = firstArg(args);
          return { message, chat_history: chatHistory };
        },
        streams: (args) => firstArg(args).stream === true,
        result: textOutput,
      },
    ],
  },
  {
    // ContextChatEngine, SimpleChatEngine, CondenseQuestionChatEngine: not all extend BaseChatEngine.
    base: /ChatEngine$/,
    methods: [
      {
        method: "chat",
        spanType: "CHAIN",
        inputs: (args) => {
          const { message, chatHistory, stream } = firstArg(args);
          return { message, chat_history: Array.isArray(chatHistory) ? chatHistory : undefined, stream };
        },
        streams: (args) => firstArg(args).stream === true,
        result: textOutput,
      },
    ],
  },
  {
    base: "BaseSynthesizer",
    methods: [
      {
        method: "synthesize",
        spanType: "CHAIN",
        inputs: (args) => {
          const { query, nodes } = firstArg(args);
          return { query: queryText(query), nodes: toDocuments(nodes) };
        },
        streams: (args) => args[1] === true,
        result: textOutput,
      },
    ],
  },
  {
    // `agent()` / `multiAgent()` from @llamaindex/workflow: the run is the AGENT root.
    base: "AgentWorkflow",
    methods: [
      {
        method: "run",
        spanType: "AGENT",
        inputs: (args) => ({ user_input: args[0] }),
        result: (span, event) => {
          // the stop event's data also carries the whole agent state (memory); keep the answer
          const data = isRecord(event) && isRecord(event.data) ? event.data : event;
          span.setOutputs(isRecord(data) && "result" in data ? { result: data.result, message: data.message } : data);
        },
      },
    ],
  },
  {
    // One agent's step (one LLM turn, deciding on tools or a handoff), named after the agent.
    base: "FunctionAgent",
    methods: [
      {
        method: "takeStep",
        spanType: "AGENT",
        name: (self) => (typeof self.name === "string" ? self.name : undefined),
        inputs: (args) => ({ messages: args[2] }),
        result: (span, output) => {
          if (!isRecord(output)) return span.setOutputs(output);
          span.setOutputs({ response: output.response, tool_calls: output.toolCalls });
        },
      },
    ],
  },
  { base: "FunctionTool", methods: [], properties: [toolCall] },
  // Other tools (QueryEngineTool, WikipediaTool, ...) define `call` as a method.
  { base: /Tool$/, methods: [toolCall] },
];

/** Node postprocessors are duck-typed (an interface in LlamaIndex): RERANKER spans. */
export const POSTPROCESSOR: MethodSpec = {
  method: "postprocessNodes",
  spanType: "RERANKER",
  inputs: (args) => ({ nodes: toDocuments(args[0]), query: queryText(args[1]) }),
  result: (span, nodes) => span.setOutputs(toDocuments(nodes)),
};
