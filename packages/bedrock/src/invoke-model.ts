/**
 * InvokeModel bodies, whose shape is the model family's own: Anthropic (Messages API and the
 * legacy text completions), Amazon (Titan text and embeddings, Nova), Cohere (Command and
 * Command R, embeddings), Meta Llama, AI21 (Jurassic-2 and Jamba), Mistral. Each request and
 * response is read by its shape, so a new model of a known family needs no change. Pure functions.
 */
import type { ChatMessage, ChatTool } from "@tracewright/core";
import { isRecord, parseJsonString } from "@tracewright/core/instrumentation";
import { converseMessageToChat, systemToChat } from "./converse.js";

type Obj = Record<string, unknown>;

const utf8 = new TextDecoder();

/**
 * A request or response body as JSON: the SDK takes a string or bytes and returns bytes
 * (a `Uint8Array` subclass). Reading the bytes does not consume them. Null when not JSON.
 */
export function parseBody(body: unknown): unknown {
  let text: string | null = null;
  if (typeof body === "string") text = body;
  else if (body instanceof Uint8Array) text = utf8.decode(body);
  if (text === null) return isRecord(body) ? body : null;
  const parsed = parseJsonString(text);
  return parsed === text ? null : parsed;
}

/** The text of Anthropic-style content: a string, or blocks of `{ type: "text", text }`. */
function anthropicContent(content: unknown): { text: string | null; toolCalls: unknown[]; toolResults: ChatMessage[] } {
  if (typeof content === "string") return { text: content, toolCalls: [], toolResults: [] };
  const text: string[] = [];
  const toolCalls: unknown[] = [];
  const toolResults: ChatMessage[] = [];
  for (const block of Array.isArray(content) ? (content as unknown[]).filter(isRecord) : []) {
    if (block.type === "text" && typeof block.text === "string") text.push(block.text);
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: String(block.id),
        type: "function",
        function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) },
      });
    } else if (block.type === "tool_result") {
      toolResults.push({
        role: "tool",
        tool_call_id: String(block.tool_use_id),
        content: anthropicContent(block.content).text ?? "",
      });
    }
  }
  return { text: text.length > 0 ? text.join("") : null, toolCalls, toolResults };
}

/** A request or reply message in Anthropic's, Nova's (Converse-like) or OpenAI's form. */
function messageToChat(message: unknown): ChatMessage[] {
  if (!isRecord(message) || typeof message.role !== "string") return [];
  const content = message.content;
  // Nova: content blocks without a type, Converse's form
  if (Array.isArray(content) && content.some((b) => isRecord(b) && b.type === undefined)) {
    return converseMessageToChat(message);
  }
  if (Array.isArray(content)) {
    const { text, toolCalls, toolResults } = anthropicContent(content);
    const out: ChatMessage[] = [];
    if (text !== null || toolCalls.length > 0 || toolResults.length === 0) {
      const chat: ChatMessage = { role: message.role, content: text };
      if (toolCalls.length > 0) chat.tool_calls = toolCalls;
      out.push(chat);
    }
    return [...out, ...toolResults];
  }
  return [message as ChatMessage]; // OpenAI-style already (AI21 Jamba, Mistral chat)
}

const COHERE_ROLES: Record<string, string> = { USER: "user", CHATBOT: "assistant", SYSTEM: "system", TOOL: "tool" };

/** The conversation an InvokeModel request body sends. */
export function invokeInputMessages(body: unknown): ChatMessage[] {
  if (!isRecord(body)) return [];
  const messages: ChatMessage[] = [...systemToChat(body.system)];
  if (typeof body.preamble === "string") messages.push({ role: "system", content: body.preamble });
  if (Array.isArray(body.messages)) messages.push(...(body.messages as unknown[]).flatMap(messageToChat));
  if (Array.isArray(body.chat_history)) {
    for (const turn of (body.chat_history as unknown[]).filter(isRecord)) {
      messages.push({
        role: COHERE_ROLES[String(turn.role)] ?? String(turn.role).toLowerCase(),
        content: turn.message,
      });
    }
  }
  // a single prompt: Anthropic legacy, Titan, Cohere, Meta, AI21 Jurassic, Mistral; Cohere Command R's message
  const prompt = body.prompt ?? body.inputText ?? body.message;
  if (typeof prompt === "string") messages.push({ role: "user", content: prompt });
  return messages;
}

/** The assistant's reply in an InvokeModel response body. */
export function invokeOutputMessages(body: unknown): ChatMessage[] {
  if (!isRecord(body)) return [];
  if (body.type === "message" || (Array.isArray(body.content) && typeof body.role === "string")) {
    return messageToChat({ ...body, role: body.role ?? "assistant" }); // Anthropic Messages
  }
  if (isRecord(body.output) && isRecord(body.output.message)) return messageToChat(body.output.message); // Nova
  const choices = Array.isArray(body.choices) ? (body.choices as unknown[]).filter(isRecord) : [];
  if (choices[0] && isRecord(choices[0].message)) return messageToChat(choices[0].message); // AI21 Jamba, Mistral chat
  const text = replyText(body);
  return text === null ? [] : [{ role: "assistant", content: text }];
}

/** The generated text of the families that reply with text rather than messages. */
function replyText(body: Obj): string | null {
  const first = (list: unknown): Obj | null => (Array.isArray(list) && isRecord(list[0]) ? list[0] : null);
  const candidates = [
    body.completion, // Anthropic legacy
    first(body.results)?.outputText, // Titan
    first(body.generations)?.text, // Cohere Command
    body.generation, // Meta
    (first(body.completions)?.data as Obj | undefined)?.text, // AI21 Jurassic
    first(body.outputs)?.text, // Mistral
    body.text, // Cohere Command R
    body.outputText, // Titan stream chunk
  ];
  const text = candidates.find((c) => typeof c === "string");
  return typeof text === "string" ? text : null;
}

/** The text one streamed chunk adds to the reply (empty when it adds none). */
export function chunkText(chunk: Obj): string {
  if (isRecord(chunk.delta) && typeof chunk.delta.text === "string") return chunk.delta.text; // Anthropic content_block_delta
  if (isRecord(chunk.contentBlockDelta) && isRecord(chunk.contentBlockDelta.delta)) {
    const text = chunk.contentBlockDelta.delta.text; // Nova
    return typeof text === "string" ? text : "";
  }
  const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]).filter(isRecord) : [];
  if (choices[0] && isRecord(choices[0].delta)) {
    const text = choices[0].delta.content;
    return typeof text === "string" ? text : "";
  }
  if (chunk.is_finished === true) return ""; // Cohere Command R's last event repeats the whole reply
  return replyText(chunk) ?? "";
}

/** Tools offered in an InvokeModel request body (Anthropic's and OpenAI's forms), as MLflow chat tools. */
export function invokeTools(body: unknown): ChatTool[] {
  if (!isRecord(body) || !Array.isArray(body.tools)) return [];
  const tools: ChatTool[] = [];
  for (const tool of (body.tools as unknown[]).filter(isRecord)) {
    if (isRecord(tool.function)) tools.push(tool as ChatTool);
    else if (typeof tool.name === "string") {
      const fn: NonNullable<ChatTool["function"]> = { name: tool.name };
      if (typeof tool.description === "string") fn.description = tool.description;
      if (tool.input_schema !== undefined) fn.parameters = tool.input_schema;
      tools.push({ type: "function", function: fn });
    }
  }
  return tools;
}

/** True for an embedding reply (Titan `embedding`, Cohere `embeddings`), which MLflow types EMBEDDING. */
export function isEmbeddingBody(body: unknown): boolean {
  return isRecord(body) && (body.embedding !== undefined || body.embeddings !== undefined);
}
