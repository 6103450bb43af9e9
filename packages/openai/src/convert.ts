/**
 * openai requests and responses in MLflow's formats: span names and types, chat messages,
 * tools, token usage, request parameters and the provider. Everything but the two `record…`
 * functions at the end is pure.
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

/** The traced endpoints; MLflow names the span after the resource class. */
export const ENDPOINTS: Record<Endpoint["kind"], Endpoint> = {
  chat: { kind: "chat", spanName: "Completions", spanType: SpanType.CHAT_MODEL },
  completions: { kind: "completions", spanName: "Completions", spanType: SpanType.LLM },
  embeddings: { kind: "embeddings", spanName: "Embeddings", spanType: SpanType.EMBEDDING },
  responses: { kind: "responses", spanName: "Responses", spanType: SpanType.CHAT_MODEL },
};

type Obj = Record<string, unknown>;

/** Request parameters that carry the user's text (a prompt, an input, instructions). */
const CONTENT_PARAMETERS = new Set(["prompt", "input", "instructions", "suffix"]);

/**
 * Scalar request parameters (model, temperature, stream, ...) as individual attributes; the
 * ones carrying text only when content is recorded.
 */
export function requestAttributes(body: unknown, recordContent = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(body)) return out;
  // keys, then each value read once (as Object.entries reads them), without a pair array per key
  for (const k of Object.keys(body)) {
    if (!recordContent && CONTENT_PARAMETERS.has(k)) continue;
    const v = body[k];
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/** openai usage objects (chat, legacy, responses, embeddings) as MLflow token usage. */
export function toTokenUsage(usage: unknown): TokenUsage | null {
  if (!isRecord(usage)) return null;
  const input = (usage.prompt_tokens ?? usage.input_tokens) as number | undefined;
  const output = (usage.completion_tokens ?? usage.output_tokens) as number | undefined;
  const total = (usage.total_tokens as number | undefined) ?? (input ?? 0) + (output ?? 0);
  if (typeof input !== "number" && typeof output !== "number") return null;
  const result: TokenUsage = { input_tokens: input ?? 0, output_tokens: output ?? 0, total_tokens: total };
  const details = (usage.prompt_tokens_details ?? usage.input_tokens_details) as Obj | undefined;
  if (isRecord(details) && typeof details.cached_tokens === "number") {
    result.cache_read_input_tokens = details.cached_tokens;
  }
  return result;
}

function toolCallsFromResponsesItems(items: Obj[]): ChatMessage | null {
  const calls = items
    .filter((i) => i.type === "function_call")
    .map((i) => ({ id: i.call_id ?? i.id, type: "function", function: { name: i.name, arguments: i.arguments } }));
  return calls.length > 0 ? { role: "assistant", content: null, tool_calls: calls } : null;
}

function responsesOutputText(item: Obj): string {
  const content = Array.isArray(item.content) ? (item.content as Obj[]) : [];
  return content
    .filter((c) => c.type === "output_text" || c.type === "text")
    .map((c) => String(c.text ?? ""))
    .join("");
}

/** The conversation of a Responses API request, as chat messages. */
function responsesInputMessages(body: Obj): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof body.instructions === "string") messages.push({ role: "system", content: body.instructions });
  const input = body.input;
  if (typeof input === "string") {
    messages.push({ role: "user", content: input });
    return messages;
  }
  if (!Array.isArray(input)) return messages;
  let pendingCalls: Obj[] = [];
  const flushCalls = () => {
    const m = toolCallsFromResponsesItems(pendingCalls);
    if (m) messages.push(m);
    pendingCalls = [];
  };
  for (const item of input as Obj[]) {
    if (!isRecord(item)) continue;
    if (item.type === "function_call") {
      pendingCalls.push(item);
      continue;
    }
    flushCalls();
    if (item.type === "function_call_output") {
      messages.push({ role: "tool", tool_call_id: String(item.call_id), content: item.output });
    } else if (typeof item.role === "string") {
      const content = Array.isArray(item.content)
        ? (item.content as Obj[]).map((c) => (typeof c.text === "string" ? c.text : c)).join("")
        : item.content;
      messages.push({ role: item.role, content });
    }
  }
  flushCalls();
  return messages;
}

/** The assistant side of a response, as chat messages. */
export function outputMessages(endpoint: Endpoint, output: unknown): ChatMessage[] {
  if (!isRecord(output)) return [];
  if (endpoint.kind === "chat") {
    const first = (output.choices as Obj[] | undefined)?.[0];
    const message = first?.message;
    return isRecord(message) ? [message as ChatMessage] : [];
  }
  if (endpoint.kind === "responses") {
    const items = (output.output as Obj[] | undefined) ?? [];
    const messages: ChatMessage[] = [];
    const text = items
      .filter((i) => i.type === "message")
      .map(responsesOutputText)
      .join("");
    if (text) messages.push({ role: "assistant", content: text });
    const calls = toolCallsFromResponsesItems(items);
    if (calls) messages.push(calls);
    return messages;
  }
  return [];
}

/** The request side of a chat-shaped call, as chat messages (empty for other endpoints). */
export function inputMessages(endpoint: Endpoint, body: unknown): ChatMessage[] {
  if (!isRecord(body)) return [];
  if (endpoint.kind === "chat" && Array.isArray(body.messages)) return body.messages as ChatMessage[];
  if (endpoint.kind === "responses") return responsesInputMessages(body);
  return [];
}

/** The tools offered by a request, in the chat-completions tool format MLflow renders. */
export function requestTools(endpoint: Endpoint, body: unknown): ChatTool[] {
  if (!isRecord(body)) return [];
  const tools = Array.isArray(body.tools) ? (body.tools as Obj[]) : [];
  if (endpoint.kind === "chat") {
    if (tools.length > 0) return tools as ChatTool[];
    const functions = Array.isArray(body.functions) ? (body.functions as Obj[]) : [];
    return functions.map((f) => ({ type: "function", function: f as ChatTool["function"] & object }));
  }
  if (endpoint.kind === "responses") {
    return tools.map((t) =>
      t.type === "function"
        ? {
            type: "function",
            function: {
              name: String(t.name),
              ...(t.description !== undefined ? { description: String(t.description) } : {}),
              ...(t.parameters !== undefined ? { parameters: t.parameters } : {}),
            },
          }
        : { type: String(t.type) },
    );
  }
  return [];
}

/** Embedding responses without the vectors: counts and dimensions only. */
export function summarizeEmbeddings(output: unknown): unknown {
  if (!isRecord(output) || !Array.isArray(output.data)) return output;
  return {
    ...output,
    data: (output.data as Obj[]).map((d) => ({
      ...d,
      embedding: Array.isArray(d.embedding) ? `[${d.embedding.length} floats]` : d.embedding,
    })),
  };
}

/** True for an `AzureOpenAI` client (or a subclass), from any copy of the openai package. */
function isAzureClient(client: unknown): boolean {
  if (client === null || typeof client !== "object") return false;
  // a name check along the prototype chain, not instanceof: the app may hold several openai copies
  for (let proto = Object.getPrototypeOf(client); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: unknown } }).constructor?.name === "AzureOpenAI") return true;
  }
  return false;
}

/**
 * The provider of a call made through `resource.create`, as `mlflow.llm.provider` records it:
 * `azure` for an `AzureOpenAI` client (the name MLflow's LiteLLM-based cost tables and
 * LangChain's `ls_provider` use), `openai` otherwise. openai resources keep their client in `_client`.
 */
export function providerOf(resource: unknown): string {
  try {
    const client = (resource as { _client?: unknown } | null)?._client;
    return isAzureClient(client) ? "azure" : "openai";
  } catch {
    return "openai"; // an exotic client (a revoked Proxy, a throwing getter) must not break the call
  }
}

/** Attributes known when the call starts (the span's redactor sees each of them). */
export function startAttributes(
  endpoint: Endpoint,
  body: unknown,
  provider: string,
  settings: CallSettings,
): Record<string, unknown> {
  const attributes = requestAttributes(body, settings.recordContent);
  attributes[SpanAttributeKey.MESSAGE_FORMAT] = "openai";
  attributes[SpanAttributeKey.PROVIDER] = provider;
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === "string") attributes[SpanAttributeKey.MODEL] = model;
  const tools = requestTools(endpoint, body);
  if (tools.length > 0) attributes[SpanAttributeKey.CHAT_TOOLS] = tools;
  return attributes;
}

/**
 * Records a finished response (parsed, or rebuilt from a stream) on the span: outputs, usage,
 * model, and the conversation. The span's redactor applies to each of them.
 */
export function recordResponse(
  span: LiveSpan,
  endpoint: Endpoint,
  body: unknown,
  output: unknown,
  settings: CallSettings,
): void {
  const shown =
    endpoint.kind === "embeddings" && !settings.extra.recordEmbeddingVectors ? summarizeEmbeddings(output) : output;
  span.setOutputs(shown);
  const o = output as { usage?: unknown; model?: unknown } | null;
  if (endpoint.kind !== "embeddings") {
    const usage = toTokenUsage(o?.usage);
    if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  }
  if (typeof o?.model === "string") span.setAttribute(SpanAttributeKey.MODEL, o.model);
  const messages = [...inputMessages(endpoint, body), ...outputMessages(endpoint, output)].filter(
    (m) => isRecord(m) && typeof m.role === "string",
  );
  if (messages.length > 0) setSpanChatMessages(span, messages);
}
