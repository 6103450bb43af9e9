import type { ChatMessage, ChatTool } from "@tracewright/core";
import { isRecord as isObj } from "@tracewright/core/instrumentation";

/**
 * Conversions from the OpenTelemetry GenAI semantic conventions' message shapes
 * (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
 * `gen_ai.tool.definitions`) to the OpenAI chat shapes MLflow reads from `mlflow.chat.*`.
 */

type Obj = Record<string, unknown>;

/** An attribute value as data: the conventions store structured values as JSON strings. */
export function parseJsonAttribute(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const first = value.trimStart()[0];
  if (first !== "[" && first !== "{" && first !== '"') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const asString = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v ?? null));

/** One GenAI part as an OpenAI content part, or undefined for parts chat messages cannot carry. */
function contentPart(part: Obj): Obj | undefined {
  switch (part.type) {
    case "text":
      return { type: "text", text: asString(part.content) };
    case "uri":
      return part.modality === "image"
        ? { type: "image_url", image_url: { url: part.uri } }
        : { type: "text", text: `[${part.modality ?? "file"}: ${part.uri}]` };
    case "blob":
      return part.modality === "image"
        ? { type: "image_url", image_url: { url: `data:${part.mime_type ?? "image/*"};base64,${part.content}` } }
        : { type: "text", text: `[${part.modality ?? "file"} ${part.mime_type ?? ""}]`.replace(" ]", "]") };
    case "file":
      return { type: "text", text: `[file ${part.file_id ?? ""}]`.replace(" ]", "]") };
    default:
      return undefined; // reasoning and provider-specific parts
  }
}

/** Content parts collapsed to a string when they are all text, as chat messages usually are. */
function collapse(parts: Obj[]): unknown {
  if (parts.length === 0) return null;
  if (parts.every((p) => p.type === "text")) return parts.map((p) => p.text).join("");
  return parts;
}

/** Converts one GenAI message to chat messages (tool responses become `tool` messages). */
function toChatMessages(message: Obj): ChatMessage[] {
  const role = typeof message.role === "string" ? message.role : "user";
  const parts = Array.isArray(message.parts) ? message.parts.filter(isObj) : [];
  const content: Obj[] = [];
  const toolCalls: Obj[] = [];
  const toolResults: ChatMessage[] = [];
  for (const part of parts) {
    if (part.type === "tool_call") {
      toolCalls.push({
        id: part.id,
        type: "function",
        function: { name: part.name, arguments: asString(part.arguments ?? {}) },
      });
    } else if (part.type === "tool_call_response") {
      toolResults.push({ role: "tool", tool_call_id: String(part.id ?? ""), content: asString(part.response) });
    } else {
      const converted = contentPart(part);
      if (converted) content.push(converted);
    }
  }
  const out: ChatMessage[] = [];
  if (content.length > 0 || toolCalls.length > 0 || toolResults.length === 0) {
    const chat: ChatMessage = { role, content: collapse(content) };
    if (typeof message.name === "string") chat.name = message.name;
    if (toolCalls.length > 0) chat.tool_calls = toolCalls;
    out.push(chat);
  }
  out.push(...toolResults);
  return out;
}

/** `gen_ai.input.messages` / `gen_ai.output.messages` (JSON or parsed) as chat messages. */
export function genAiMessagesToChat(value: unknown): ChatMessage[] {
  const messages = parseJsonAttribute(value);
  if (!Array.isArray(messages)) return [];
  return messages.filter(isObj).flatMap(toChatMessages);
}

/** `gen_ai.system_instructions` as one system message, or none. */
export function systemInstructionsToChat(value: unknown): ChatMessage[] {
  const parsed = parseJsonAttribute(value);
  if (parsed === undefined || parsed === null || parsed === "") return [];
  if (typeof parsed === "string") return [{ role: "system", content: parsed }];
  if (!Array.isArray(parsed)) return [];
  const text = parsed
    .filter(isObj)
    .map((p) => (typeof p.content === "string" ? p.content : ""))
    .filter((t) => t !== "")
    .join("\n");
  return text ? [{ role: "system", content: text }] : [];
}

/** `gen_ai.tool.definitions` as OpenAI tool definitions (`mlflow.chat.tools`). */
export function genAiToolsToChat(value: unknown): ChatTool[] {
  const parsed = parseJsonAttribute(value);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isObj).map((tool) => {
    const fn = isObj(tool.function) ? tool.function : tool;
    const definition: NonNullable<ChatTool["function"]> = { name: String(fn.name ?? "") };
    if (typeof fn.description === "string") definition.description = fn.description;
    const parameters = fn.parameters ?? fn.inputSchema ?? fn.input_schema;
    if (parameters !== undefined) definition.parameters = parameters;
    return { type: typeof tool.type === "string" ? tool.type : "function", function: definition };
  });
}

/** The text a model's output messages end with: what a caller of the model reads. */
export function outputText(messages: unknown): string | undefined {
  const parsed = parseJsonAttribute(messages);
  if (!Array.isArray(parsed)) return undefined;
  const texts: string[] = [];
  for (const message of parsed.filter(isObj)) {
    for (const part of Array.isArray(message.parts) ? message.parts.filter(isObj) : []) {
      if (part.type === "text" && typeof part.content === "string") texts.push(part.content);
    }
  }
  return texts.length > 0 ? texts.join("") : undefined;
}
