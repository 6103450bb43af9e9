/**
 * The Converse API's requests and responses in MLflow's chat form (OpenAI-compatible messages and
 * tools, as MLflow's `mlflow/bedrock/chat.py` converts them), and a ConverseStream's events
 * rebuilt into the Converse response they add up to. Pure functions.
 */
import type { ChatMessage, ChatTool } from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";

type Obj = Record<string, unknown>;

/** A content part in OpenAI's form. */
type Part = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string; detail: "auto" } };

function base64Of(bytes: unknown): string | null {
  if (typeof bytes === "string") return bytes;
  if (bytes instanceof Uint8Array)
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  return null;
}

/** One Converse content block as a content part (text, json, image); null for kinds OpenAI's form lacks. */
function partOf(block: Obj): Part | null {
  if (typeof block.text === "string") return { type: "text", text: block.text };
  if (block.json !== undefined) return { type: "text", text: JSON.stringify(block.json) };
  if (isRecord(block.image)) {
    const image = block.image;
    const data = base64Of(isRecord(image.source) ? image.source.bytes : undefined);
    if (data !== null) {
      return {
        type: "image_url",
        image_url: { url: `data:image/${String(image.format)};base64,${data}`, detail: "auto" },
      };
    }
  }
  return null;
}

/** Plain text when every part is text (what MLflow's chat view and previews show best), parts otherwise. */
function contentOf(parts: Part[]): string | Part[] | null {
  if (parts.length === 0) return null;
  if (parts.every((p) => p.type === "text")) return parts.map((p) => (p as { text: string }).text).join("");
  return parts;
}

/**
 * One Converse message as MLflow chat messages: text and images as content, `toolUse` blocks
 * as `tool_calls`, each `toolResult` block as a `tool` message of its own.
 */
export function converseMessageToChat(message: unknown): ChatMessage[] {
  if (!isRecord(message) || typeof message.role !== "string") return [];
  const blocks = Array.isArray(message.content) ? (message.content as unknown[]).filter(isRecord) : [];
  const parts: Part[] = [];
  const toolCalls: unknown[] = [];
  const toolResults: ChatMessage[] = [];
  for (const block of blocks) {
    if (isRecord(block.toolUse)) {
      const use = block.toolUse;
      toolCalls.push({
        id: String(use.toolUseId),
        type: "function",
        function: {
          name: String(use.name),
          arguments: typeof use.input === "string" ? use.input : JSON.stringify(use.input ?? {}),
        },
      });
    } else if (isRecord(block.toolResult)) {
      const result = block.toolResult;
      const resultParts = (Array.isArray(result.content) ? (result.content as unknown[]) : [])
        .filter(isRecord)
        .map(partOf)
        .filter((p): p is Part => p !== null);
      toolResults.push({ role: "tool", tool_call_id: String(result.toolUseId), content: contentOf(resultParts) ?? "" });
    } else {
      const part = partOf(block);
      if (part) parts.push(part);
    }
  }
  const messages: ChatMessage[] = [];
  if (parts.length > 0 || toolCalls.length > 0 || toolResults.length === 0) {
    const chat: ChatMessage = { role: message.role, content: contentOf(parts) };
    if (toolCalls.length > 0) chat.tool_calls = toolCalls;
    messages.push(chat);
  }
  messages.push(...toolResults);
  return messages;
}

/** A `system` list of content blocks as one system message. */
export function systemToChat(system: unknown): ChatMessage[] {
  if (typeof system === "string") return system ? [{ role: "system", content: system }] : [];
  if (!Array.isArray(system)) return [];
  const text = system
    .filter(isRecord)
    .map((b) => (typeof b.text === "string" ? b.text : ""))
    .join("");
  return text ? [{ role: "system", content: text }] : [];
}

/** The conversation a Converse request sends: system prompt, then its messages. */
export function converseInputMessages(input: unknown): ChatMessage[] {
  if (!isRecord(input)) return [];
  const messages = Array.isArray(input.messages) ? input.messages : [];
  return [...systemToChat(input.system), ...messages.flatMap(converseMessageToChat)];
}

/** The assistant's reply in a Converse response. */
export function converseOutputMessages(output: unknown): ChatMessage[] {
  if (!isRecord(output) || !isRecord(output.output)) return [];
  return converseMessageToChat(output.output.message);
}

/** A request's `toolConfig.tools` as MLflow chat tools. */
export function converseTools(toolConfig: unknown): ChatTool[] {
  if (!isRecord(toolConfig) || !Array.isArray(toolConfig.tools)) return [];
  const tools: ChatTool[] = [];
  for (const tool of toolConfig.tools as unknown[]) {
    if (!isRecord(tool) || !isRecord(tool.toolSpec)) continue;
    const spec = tool.toolSpec;
    const fn: NonNullable<ChatTool["function"]> = { name: String(spec.name) };
    if (typeof spec.description === "string") fn.description = spec.description;
    if (isRecord(spec.inputSchema) && spec.inputSchema.json !== undefined) fn.parameters = spec.inputSchema.json;
    tools.push({ type: "function", function: fn });
  }
  return tools;
}

interface BlockInProgress {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: string };
  reasoning?: string;
}

/** The events of a ConverseStream, added up into the Converse response they stand for. */
export class ConverseStreamBuilder {
  private role = "assistant";
  private readonly blocks = new Map<number, BlockInProgress>();
  private readonly rest: Obj = {};

  /** One event as the SDK yields it: `{ messageStart: {...} }`, `{ contentBlockDelta: {...} }`, ... */
  add(event: Obj): void {
    if (isRecord(event.messageStart) && typeof event.messageStart.role === "string")
      this.role = event.messageStart.role;
    const start = event.contentBlockStart;
    if (isRecord(start) && isRecord(start.start) && isRecord(start.start.toolUse)) {
      const use = start.start.toolUse;
      this.block(start.contentBlockIndex).toolUse = {
        toolUseId: String(use.toolUseId),
        name: String(use.name),
        input: "",
      };
    }
    const delta = event.contentBlockDelta;
    if (isRecord(delta) && isRecord(delta.delta)) {
      const block = this.block(delta.contentBlockIndex);
      const d = delta.delta;
      if (typeof d.text === "string") block.text = (block.text ?? "") + d.text;
      if (isRecord(d.toolUse) && typeof d.toolUse.input === "string") {
        block.toolUse ??= { toolUseId: "", name: "", input: "" };
        block.toolUse.input += d.toolUse.input;
      }
      if (isRecord(d.reasoningContent) && typeof d.reasoningContent.text === "string") {
        block.reasoning = (block.reasoning ?? "") + d.reasoningContent.text;
      }
    }
    if (isRecord(event.messageStop)) Object.assign(this.rest, event.messageStop);
    if (isRecord(event.metadata)) Object.assign(this.rest, event.metadata);
  }

  private block(index: unknown): BlockInProgress {
    const i = typeof index === "number" ? index : 0;
    let block = this.blocks.get(i);
    if (!block) {
      block = {};
      this.blocks.set(i, block);
    }
    return block;
  }

  /** The Converse-shaped response: `output.message`, `stopReason`, `usage`, `metrics`. */
  result(): Obj {
    const content: Obj[] = [];
    for (const [, block] of [...this.blocks].sort(([a], [b]) => a - b)) {
      if (block.reasoning !== undefined)
        content.push({ reasoningContent: { reasoningText: { text: block.reasoning } } });
      if (block.text !== undefined) content.push({ text: block.text });
      if (block.toolUse) {
        const { input, ...use } = block.toolUse;
        content.push({ toolUse: { ...use, input: parseOrKeep(input) } });
      }
    }
    return { output: { message: { role: this.role, content } }, ...this.rest };
  }
}

function parseOrKeep(text: string): unknown {
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return text; // a stream broken off mid-arguments
  }
}
