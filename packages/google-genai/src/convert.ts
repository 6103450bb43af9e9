/**
 * @google/genai requests and responses in MLflow's formats: span names and types, chat messages,
 * tools, token usage, request parameters and the provider. Everything but `recordResponse` at the
 * end is pure.
 */
import {
  type ChatMessage,
  type ChatTool,
  type LiveSpan,
  SpanAttributeKey,
  SpanType,
  setSpanChatMessages,
  type TokenUsage,
} from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";
import type { CallSettings, Endpoint } from "./types.js";

/** The traced methods; MLflow's gemini autolog names a span `Class.method`. */
export const ENDPOINTS: Record<Endpoint["kind"], Endpoint> = {
  generate: {
    kind: "generate",
    method: "generateContent",
    spanName: "Models.generateContent",
    spanType: SpanType.CHAT_MODEL,
    streams: false,
  },
  generateStream: {
    kind: "generateStream",
    method: "generateContentStream",
    spanName: "Models.generateContentStream",
    spanType: SpanType.CHAT_MODEL,
    streams: true,
  },
  embed: {
    kind: "embed",
    method: "embedContent",
    spanName: "Models.embedContent",
    spanType: SpanType.EMBEDDING,
    streams: false,
  },
  chat: {
    kind: "chat",
    method: "sendMessage",
    spanName: "Chat.sendMessage",
    spanType: SpanType.CHAT_MODEL,
    streams: false,
  },
  chatStream: {
    kind: "chatStream",
    method: "sendMessageStream",
    spanName: "Chat.sendMessageStream",
    spanType: SpanType.CHAT_MODEL,
    streams: true,
  },
};

type Obj = Record<string, unknown>;

/** `usageMetadata` as MLflow token usage. Thinking tokens are output (Google bills them so), cached tokens a part of the input. */
export function toTokenUsage(usage: unknown): TokenUsage | null {
  if (!isRecord(usage)) return null;
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  const prompt = usage.promptTokenCount;
  const candidates = usage.candidatesTokenCount;
  if (typeof prompt !== "number" && typeof candidates !== "number") return null;
  const input = num(prompt) + num(usage.toolUsePromptTokenCount);
  const output = num(candidates) + num(usage.thoughtsTokenCount);
  const total = typeof usage.totalTokenCount === "number" ? usage.totalTokenCount : input + output;
  const result: TokenUsage = { input_tokens: input, output_tokens: output, total_tokens: total };
  if (typeof usage.cachedContentTokenCount === "number") result.cache_read_input_tokens = usage.cachedContentTokenCount;
  return result;
}

/** A Gemini `Schema` (types in upper case: `OBJECT`, `STRING`) as JSON Schema (lower case), as MLflow converts it. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!isRecord(schema)) return schema;
  const out: Obj = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "type" && typeof v === "string") out[k] = v.toLowerCase();
    else if (k === "properties" && isRecord(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, toJsonSchema(p)]));
    } else if (k === "items" || k === "anyOf") out[k] = toJsonSchema(v);
    else out[k] = v;
  }
  return out;
}

/** The tools of a request's config, in the chat-completions tool format MLflow renders. */
export function requestTools(config: unknown): ChatTool[] {
  if (!isRecord(config) || !Array.isArray(config.tools)) return [];
  const tools: ChatTool[] = [];
  for (const tool of config.tools as unknown[]) {
    if (!isRecord(tool)) continue;
    if (Array.isArray(tool.functionDeclarations)) {
      for (const fn of tool.functionDeclarations as unknown[]) {
        if (!isRecord(fn) || typeof fn.name !== "string") continue;
        const parameters =
          fn.parametersJsonSchema ?? (fn.parameters === undefined ? undefined : toJsonSchema(fn.parameters));
        tools.push({
          type: "function",
          function: {
            name: fn.name,
            ...(typeof fn.description === "string" ? { description: fn.description } : {}),
            ...(parameters !== undefined ? { parameters } : {}),
          },
        });
      }
    } else if (typeof tool.tool !== "function") {
      // a built-in tool (`{ googleSearch: {} }`, `{ codeExecution: {} }`): its key names it
      const name = Object.keys(tool)[0];
      if (name) tools.push({ type: name });
    }
  }
  return tools;
}

const isPart = (v: unknown): v is Obj =>
  isRecord(v) &&
  ("text" in v || "functionCall" in v || "functionResponse" in v || "inlineData" in v || "fileData" in v);
const isContent = (v: unknown): v is Obj => isRecord(v) && Array.isArray(v.parts);

/**
 * A request's `contents` as Content objects, the way the SDK reads them: a string or a part is
 * one user turn, a list of strings and parts is one user turn, a list of contents is the turns.
 */
export function toContents(contents: unknown): Obj[] {
  if (contents === undefined || contents === null) return [];
  const asPart = (v: unknown): Obj | null => (typeof v === "string" ? { text: v } : isPart(v) ? v : null);
  if (isContent(contents)) return [contents];
  if (!Array.isArray(contents)) {
    const part = asPart(contents);
    return part ? [{ role: "user", parts: [part] }] : [];
  }
  const out: Obj[] = [];
  let loose: Obj[] = [];
  const flush = () => {
    if (loose.length > 0) out.push({ role: "user", parts: loose });
    loose = [];
  };
  for (const item of contents as unknown[]) {
    if (isContent(item)) {
      flush();
      out.push(item);
    } else {
      const part = asPart(item);
      if (part) loose.push(part);
    }
  }
  flush();
  return out;
}

/** One Content as chat messages: text and function calls in one message, each function response a `tool` message. */
export function contentToMessages(content: Obj): ChatMessage[] {
  const role = content.role === "model" ? "assistant" : typeof content.role === "string" ? content.role : "user";
  const parts = Array.isArray(content.parts) ? (content.parts as unknown[]).filter(isRecord) : [];
  const text = parts
    .filter((p) => typeof p.text === "string" && p.thought !== true)
    .map((p) => p.text as string)
    .join("");
  const calls = parts
    .map((p) => p.functionCall)
    .filter(isRecord)
    .map((c) => ({
      // Gemini's function calls carry an id only sometimes: MLflow uses the name then
      id: typeof c.id === "string" ? c.id : c.name,
      type: "function",
      function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
    }));
  const messages: ChatMessage[] = [];
  if (text || calls.length > 0) {
    const message: ChatMessage = { role, content: text || null };
    if (calls.length > 0) message.tool_calls = calls;
    messages.push(message);
  }
  for (const p of parts) {
    const r = p.functionResponse;
    if (!isRecord(r)) continue;
    messages.push({
      role: "tool",
      tool_call_id: String(typeof r.id === "string" ? r.id : r.name),
      name: String(r.name),
      content: JSON.stringify(r.response ?? null),
    });
  }
  return messages;
}

/** The system instruction of a config (a string, a part, parts or a content) as its text. */
function systemText(instruction: unknown): string | null {
  if (typeof instruction === "string") return instruction;
  const contents = toContents(instruction);
  const text = contents
    .flatMap((c) => (c.parts as unknown[]).filter(isRecord))
    .map((p) => (typeof p.text === "string" ? p.text : ""))
    .join("");
  return text || null;
}

/** The conversation a generateContent request sends, as chat messages. */
export function inputMessages(request: unknown): ChatMessage[] {
  if (!isRecord(request)) return [];
  const messages: ChatMessage[] = [];
  const system = isRecord(request.config) ? systemText(request.config.systemInstruction) : null;
  if (system) messages.push({ role: "system", content: system });
  for (const content of toContents(request.contents)) messages.push(...contentToMessages(content));
  return messages;
}

/** The model's side of a response: its first candidate, as chat messages. */
export function outputMessages(response: unknown): ChatMessage[] {
  if (!isRecord(response) || !Array.isArray(response.candidates)) return [];
  const content = (response.candidates[0] as Obj | undefined)?.content;
  return isContent(content) ? contentToMessages(content) : [];
}

/** A response without the SDK's own additions (`sdkHttpResponse`) and, unless asked, without embedding vectors. */
export function responseOutputs(endpoint: Endpoint, response: unknown, settings: CallSettings): unknown {
  if (!isRecord(response)) return response;
  const { sdkHttpResponse: _http, ...body } = response;
  if (endpoint.kind !== "embed" || settings.extra.recordEmbeddingVectors || !Array.isArray(body.embeddings)) {
    return body;
  }
  return {
    ...body,
    embeddings: (body.embeddings as unknown[]).map((e) =>
      isRecord(e) && Array.isArray(e.values) ? { ...e, values: `[${e.values.length} floats]` } : e,
    ),
  };
}

/** Scalar generation settings of a config (temperature, maxOutputTokens, ...) as individual attributes. */
export function configAttributes(config: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(config)) return out;
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/** `vertex_ai` for a Vertex AI client, `gemini` for the Gemini API (the names LiteLLM's cost tables use). */
export function providerOf(apiClient: unknown): string {
  try {
    const client = apiClient as { isVertexAI?: () => unknown } | null;
    return typeof client?.isVertexAI === "function" && client.isVertexAI() === true ? "vertex_ai" : "gemini";
  } catch {
    return "gemini"; // an exotic client must not break the call
  }
}

/** Attributes known when the call starts (the span's redactor sees each of them). */
export function startAttributes(
  endpoint: Endpoint,
  model: unknown,
  config: unknown,
  provider: string,
): Record<string, unknown> {
  const attributes = configAttributes(config);
  attributes[SpanAttributeKey.MESSAGE_FORMAT] = "gemini";
  attributes[SpanAttributeKey.PROVIDER] = provider;
  if (typeof model === "string") {
    attributes.model = model;
    attributes[SpanAttributeKey.MODEL] = model;
  }
  if (endpoint.kind !== "embed") {
    const tools = requestTools(config);
    if (tools.length > 0) attributes[SpanAttributeKey.CHAT_TOOLS] = tools;
  }
  return attributes;
}

/**
 * Records a finished response (returned, or rebuilt from a stream) on the span: outputs, usage,
 * model version, and the conversation of `request` (the generateContent parameters actually
 * sent, a chat's history included). The span's redactor applies to each of them.
 */
export function recordResponse(
  span: LiveSpan,
  endpoint: Endpoint,
  request: unknown,
  response: unknown,
  settings: CallSettings,
): void {
  span.setOutputs(responseOutputs(endpoint, response, settings));
  if (endpoint.kind === "embed") return;
  const r = response as Obj | null;
  const usage = toTokenUsage(r?.usageMetadata);
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  if (typeof r?.modelVersion === "string") span.setAttribute(SpanAttributeKey.MODEL, r.modelVersion);
  const messages = [...inputMessages(request), ...outputMessages(response)];
  if (messages.length > 0) setSpanChatMessages(span, messages);
}
