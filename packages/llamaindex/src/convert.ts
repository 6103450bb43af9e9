/**
 * Pure conversions from LlamaIndex.TS objects to MLflow's span formats: chat messages to the
 * OpenAI form, tools to chat tools, raw provider responses to token usage, retrieved nodes to
 * documents.
 */
import { type ChatMessage, type ChatTool, Document, type DocumentDict, type TokenUsage } from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";

type Obj = Record<string, unknown>;

/** LlamaIndex message content (a string or content details) as OpenAI message content. */
function toContent(content: unknown): unknown {
  if (typeof content === "string" || !Array.isArray(content)) return content ?? "";
  return content.map((part: unknown) =>
    isRecord(part) && part.type === "text" ? { type: "text", text: part.text } : part,
  );
}

/** A LlamaIndex `ChatMessage` (`{role, content, options}`) as an OpenAI-style chat message. */
export function toChatMessage(message: unknown): ChatMessage {
  if (!isRecord(message)) return { role: "user", content: String(message) };
  const options = isRecord(message.options) ? message.options : {};
  const role = message.role === "memory" ? "system" : String(message.role ?? "user");
  const toolResult = options.toolResult;
  if (isRecord(toolResult)) {
    const result = toolResult.result;
    return {
      role: "tool",
      tool_call_id: String(toolResult.id ?? ""),
      content: typeof result === "string" ? result : JSON.stringify(result ?? message.content ?? ""),
    };
  }
  const out: ChatMessage = { role, content: toContent(message.content) };
  const toolCalls = options.toolCall;
  if (Array.isArray(toolCalls) && toolCalls.length > 0) {
    out.tool_calls = toolCalls.filter(isRecord).map((call) => ({
      id: String(call.id ?? ""),
      type: "function",
      function: {
        name: String(call.name ?? ""),
        arguments: typeof call.input === "string" ? call.input : JSON.stringify(call.input ?? {}),
      },
    }));
  }
  return out;
}

/** A LlamaIndex tool (anything with `metadata: {name, description, parameters}`) as a chat tool. */
export function toChatTool(tool: unknown): ChatTool | null {
  const metadata = isRecord(tool) && isRecord(tool.metadata) ? tool.metadata : null;
  if (metadata === null || typeof metadata.name !== "string") return null;
  const fn: ChatTool["function"] = { name: metadata.name };
  if (typeof metadata.description === "string") fn.description = metadata.description;
  if (isRecord(metadata.parameters)) fn.parameters = metadata.parameters;
  return { type: "function", function: fn };
}

/** The metadata of the tools passed to an LLM call (the tool objects themselves hold closures). */
export function toolMetadata(tools: unknown): unknown[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  return tools.map((t: unknown) => (isRecord(t) && isRecord(t.metadata) ? t.metadata : t));
}

/**
 * Token usage from a provider's raw response or stream chunk: OpenAI chat (`prompt_tokens`),
 * OpenAI responses and Anthropic (`input_tokens`).
 */
export function toTokenUsage(raw: unknown): TokenUsage | null {
  const usage = isRecord(raw)
    ? isRecord(raw.usage)
      ? raw.usage
      : isRecord(raw.response)
        ? raw.response.usage
        : null
    : null;
  if (!isRecord(usage)) return null;
  const input = usage.prompt_tokens ?? usage.input_tokens;
  const output = usage.completion_tokens ?? usage.output_tokens;
  if (typeof input !== "number" || typeof output !== "number") return null;
  const total = typeof usage.total_tokens === "number" ? usage.total_tokens : input + output;
  return { input_tokens: input, output_tokens: output, total_tokens: total };
}

/** The text of a LlamaIndex node (`TextNode.text`, or `getContent()` for other node kinds). */
function nodeText(node: Obj): string {
  if (typeof node.text === "string") return node.text;
  if (typeof node.getContent === "function") return String((node.getContent as (mode: string) => unknown)("NONE"));
  return "";
}

/** Retrieved nodes (`NodeWithScore[]`) as MLflow documents: node text, metadata with the score, node id. */
export function toDocuments(nodes: unknown): DocumentDict[] {
  if (!Array.isArray(nodes)) return [];
  return nodes.filter(isRecord).map((item) => {
    const node = isRecord(item.node) ? item.node : item;
    const metadata: Record<string, unknown> = { ...(isRecord(node.metadata) ? node.metadata : {}) };
    if (typeof item.score === "number") metadata.score = item.score;
    const id = typeof node.id_ === "string" ? node.id_ : null;
    return new Document({ pageContent: nodeText(node), metadata, id }).toDict();
  });
}

/** The text of an engine or chat response (`EngineResponse`, `ChatResponse`, `CompletionResponse`). */
export function responseText(response: unknown): unknown {
  if (!isRecord(response)) return response;
  if (isRecord(response.message)) return toContent(response.message.content);
  if (typeof response.text === "string") return response.text;
  if (typeof response.response === "string") return response.response;
  return response;
}

/** What an embedding call recorded: counts and dimensions, with the vectors only when asked. */
export function embeddingSummary(result: unknown, includeVectors: boolean): unknown {
  const vectors =
    Array.isArray(result) && !Array.isArray(result[0]) && typeof result[0] === "number" ? [result] : result;
  if (!Array.isArray(vectors)) return result;
  const first = vectors.find(Array.isArray) as unknown[] | undefined;
  const summary: Obj = { count: vectors.length, dimensions: first?.length ?? 0 };
  if (includeVectors) summary.embeddings = vectors;
  return summary;
}
