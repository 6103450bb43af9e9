/**
 * Anthropic Messages requests and responses in MLflow's formats: span names and types, chat
 * messages (the system prompt, text, images, tool calls and tool results in MLflow's
 * OpenAI-compatible chat form), tools, token usage, request parameters. Everything but
 * `recordResponse` at the end is pure.
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

/**
 * The traced methods. MLflow names the span `<instance class>.<method>` and types the model calls
 * CHAT_MODEL, anything else (a token count) UNKNOWN.
 */
export const ENDPOINTS: Record<Endpoint["kind"], Endpoint> = {
  create: { kind: "create", spanName: "Messages.create", spanType: SpanType.CHAT_MODEL },
  stream: { kind: "stream", spanName: "Messages.stream", spanType: SpanType.CHAT_MODEL },
  countTokens: { kind: "countTokens", spanName: "Messages.countTokens", spanType: SpanType.UNKNOWN },
};

/** The provider, as `mlflow.llm.provider` names it. */
export const PROVIDER = "anthropic";

/** Request parameters that carry the user's text. */
const CONTENT_PARAMETERS = new Set(["system"]);

/**
 * Scalar request parameters (model, max_tokens, temperature, stream, ...) as individual
 * attributes, as MLflow records them; the system prompt only when content is recorded.
 */
export function requestAttributes(body: unknown, recordContent = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(body)) return out;
  for (const [k, v] of Object.entries(body)) {
    if (!recordContent && CONTENT_PARAMETERS.has(k)) continue;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/**
 * An Anthropic `usage` as MLflow token usage. Anthropic's `input_tokens` leaves out the tokens
 * read from or written to the prompt cache; MLflow's `input_tokens` counts every input token (as
 * OpenAI's `prompt_tokens`, OpenTelemetry's `gen_ai.usage.input_tokens` and the SDK's own spans
 * do), so it is the sum of the three, and the two cache counts are kept under MLflow's keys.
 */
export function toTokenUsage(usage: unknown): TokenUsage | null {
  if (!isRecord(usage)) return null;
  if (typeof usage.input_tokens !== "number" && typeof usage.output_tokens !== "number") return null;
  const input =
    count(usage.input_tokens) + count(usage.cache_read_input_tokens) + count(usage.cache_creation_input_tokens);
  const output = count(usage.output_tokens);
  const result: TokenUsage = { input_tokens: input, output_tokens: output, total_tokens: input + output };
  if (typeof usage.cache_read_input_tokens === "number") result.cache_read_input_tokens = usage.cache_read_input_tokens;
  if (typeof usage.cache_creation_input_tokens === "number") {
    result.cache_creation_input_tokens = usage.cache_creation_input_tokens;
  }
  return result;
}

/** One content block as an MLflow content part; null for blocks chat messages do not show (thinking). */
function contentPart(block: unknown): unknown {
  if (typeof block === "string") return { type: "text", text: block };
  if (!isRecord(block)) return null;
  if (block.type === "text") return { type: "text", text: block.text };
  if (block.type === "image" && isRecord(block.source)) {
    const source = block.source;
    const url =
      source.type === "base64" ? `data:${String(source.media_type)};base64,${String(source.data)}` : source.url;
    return { type: "image_url", image_url: { url } };
  }
  // thinking and redacted_thinking stay in the raw inputs and outputs, as MLflow records them;
  // MLflow's chat form has no place for them
  if (block.type === "thinking" || block.type === "redacted_thinking") return null;
  return block; // documents, search results, server tool blocks: as they are
}

/** A tool_result block's content as chat content: its text, or its parts. */
function toolResultContent(content: unknown): unknown {
  if (typeof content === "string" || content === undefined) return content ?? "";
  if (!Array.isArray(content)) return content;
  const parts = content.map(contentPart).filter((p) => p !== null);
  const texts = parts.filter((p): p is { type: "text"; text: string } => isRecord(p) && p.type === "text");
  return texts.length === parts.length ? texts.map((p) => p.text).join("") : parts;
}

const TOOL_CALL_BLOCKS = new Set(["tool_use", "server_tool_use", "mcp_tool_use"]);

/**
 * One Anthropic message as MLflow chat messages: `tool_use` blocks become `tool_calls` (the
 * input as a JSON string), each `tool_result` block a `tool` message of its own (Anthropic sends
 * them in a user message), the other blocks content parts.
 */
export function toChatMessages(message: unknown): ChatMessage[] {
  if (!isRecord(message) || typeof message.role !== "string") return [];
  const role = message.role;
  if (!Array.isArray(message.content)) return [{ role, content: message.content }];
  const out: ChatMessage[] = [];
  const parts: unknown[] = [];
  const toolCalls: unknown[] = [];
  for (const block of message.content as unknown[]) {
    if (isRecord(block) && TOOL_CALL_BLOCKS.has(String(block.type))) {
      toolCalls.push({
        id: block.id,
        type: "function",
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    } else if (isRecord(block) && block.type === "tool_result") {
      out.push({ role: "tool", tool_call_id: String(block.tool_use_id), content: toolResultContent(block.content) });
    } else {
      const part = contentPart(block);
      if (part !== null) parts.push(part);
    }
  }
  if (parts.length > 0 || toolCalls.length > 0 || out.length === 0) {
    const own: ChatMessage = { role, content: parts.length > 0 ? parts : null };
    if (toolCalls.length > 0) own.tool_calls = toolCalls;
    // the user's text after tool results reads after them, as Anthropic orders them
    if (out.length > 0 && role === "user") out.push(own);
    else out.unshift(own);
  }
  return out;
}

/** The system prompt (a string or text blocks) as a system message. */
function systemMessage(system: unknown): ChatMessage | null {
  if (typeof system === "string") return system.length > 0 ? { role: "system", content: system } : null;
  if (!Array.isArray(system) || system.length === 0) return null;
  return { role: "system", content: system.map(contentPart).filter((p) => p !== null) };
}

/** The conversation a request sends: the system prompt first, then its messages. */
export function inputMessages(body: unknown): ChatMessage[] {
  if (!isRecord(body)) return [];
  const messages: ChatMessage[] = [];
  const system = systemMessage(body.system);
  if (system) messages.push(system);
  if (Array.isArray(body.messages)) for (const m of body.messages) messages.push(...toChatMessages(m));
  return messages;
}

/** The assistant message of a response. */
export function outputMessages(output: unknown): ChatMessage[] {
  return isRecord(output) && output.type === "message" ? toChatMessages(output) : [];
}

/**
 * The tools a request offers, in the chat-completions tool form MLflow renders (as MLflow's
 * `convert_tool_to_mlflow_chat_tool`); server tools (web search, code execution, ...) by type.
 */
export function requestTools(body: unknown): ChatTool[] {
  if (!isRecord(body) || !Array.isArray(body.tools)) return [];
  return (body.tools as unknown[]).filter(isRecord).map((t) =>
    t.input_schema !== undefined || t.type === undefined || t.type === "custom"
      ? {
          type: "function",
          function: {
            name: String(t.name),
            ...(t.description !== undefined ? { description: String(t.description) } : {}),
            ...(t.input_schema !== undefined ? { parameters: t.input_schema } : {}),
          },
        }
      : { type: String(t.type), ...(t.name !== undefined ? { function: { name: String(t.name) } } : {}) },
  );
}

/** Attributes known when the call starts (the span's redactor sees each of them). */
export function startAttributes(endpoint: Endpoint, body: unknown, settings: CallSettings): Record<string, unknown> {
  const attributes = requestAttributes(body, settings.recordContent);
  attributes[SpanAttributeKey.MESSAGE_FORMAT] = "anthropic";
  attributes[SpanAttributeKey.PROVIDER] = PROVIDER;
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === "string") attributes[SpanAttributeKey.MODEL] = model;
  const tools = requestTools(body);
  if (tools.length > 0) attributes[SpanAttributeKey.CHAT_TOOLS] = tools;
  if (endpoint.kind === "countTokens") delete attributes[SpanAttributeKey.MESSAGE_FORMAT];
  return attributes;
}

/**
 * Records a finished response (parsed, or rebuilt from a stream) on the span: outputs, usage,
 * model and the conversation. The span's redactor applies to each of them.
 */
export function recordResponse(span: LiveSpan, endpoint: Endpoint, body: unknown, output: unknown): void {
  span.setOutputs(output);
  if (endpoint.kind === "countTokens") return; // a token count is not token usage
  const o = output as { usage?: unknown; model?: unknown } | null;
  const usage = toTokenUsage(o?.usage);
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  if (typeof o?.model === "string") span.setAttribute(SpanAttributeKey.MODEL, o.model);
  const messages = [...inputMessages(body), ...outputMessages(output)];
  if (messages.length > 0) setSpanChatMessages(span, messages);
}
