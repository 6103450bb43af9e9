/**
 * Pure conversions from openai request/response objects to span attributes: chat messages,
 * tools, token usage and request parameters in MLflow's formats. No I/O, no spans.
 */
import type { ChatMessage, ChatTool, TokenUsage } from "@tracewright/core";
import type { Endpoint } from "./endpoints.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Scalar request parameters (model, temperature, stream, ...) as individual attributes. */
export function requestAttributes(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObj(body)) return out;
  for (const [k, v] of Object.entries(body)) {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/** openai usage objects (chat, legacy, responses, embeddings) as MLflow token usage. */
export function toTokenUsage(usage: unknown): TokenUsage | null {
  if (!isObj(usage)) return null;
  const input = (usage.prompt_tokens ?? usage.input_tokens) as number | undefined;
  const output = (usage.completion_tokens ?? usage.output_tokens) as number | undefined;
  const total = (usage.total_tokens as number | undefined) ?? (input ?? 0) + (output ?? 0);
  if (typeof input !== "number" && typeof output !== "number") return null;
  const result: TokenUsage = { input_tokens: input ?? 0, output_tokens: output ?? 0, total_tokens: total };
  const details = (usage.prompt_tokens_details ?? usage.input_tokens_details) as Obj | undefined;
  if (isObj(details) && typeof details.cached_tokens === "number") {
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
    if (!isObj(item)) continue;
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
  if (!isObj(output)) return [];
  if (endpoint.kind === "chat") {
    const first = (output.choices as Obj[] | undefined)?.[0];
    const message = first?.message;
    return isObj(message) ? [message as ChatMessage] : [];
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
  if (!isObj(body)) return [];
  if (endpoint.kind === "chat" && Array.isArray(body.messages)) return body.messages as ChatMessage[];
  if (endpoint.kind === "responses") return responsesInputMessages(body);
  return [];
}

/** The tools offered by a request, in the chat-completions tool format MLflow renders. */
export function requestTools(endpoint: Endpoint, body: unknown): ChatTool[] {
  if (!isObj(body)) return [];
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
  if (!isObj(output) || !Array.isArray(output.data)) return output;
  return {
    ...output,
    data: (output.data as Obj[]).map((d) => ({
      ...d,
      embedding: Array.isArray(d.embedding) ? `[${d.embedding.length} floats]` : d.embedding,
    })),
  };
}
