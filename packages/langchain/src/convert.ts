/**
 * Pure conversions from LangChain objects to MLflow's span formats: messages to OpenAI-style
 * chat messages, LLM results to token usage, documents to MLflow documents.
 */
import type { ChatMessage, ChatTool, TokenUsage } from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";

type Obj = Record<string, unknown>;

const ROLE_BY_TYPE: Record<string, string> = {
  human: "user",
  ai: "assistant",
  system: "system",
  tool: "tool",
  function: "function",
  developer: "developer",
};

/** The LangChain message type (`human`, `ai`, ...) of a message object or its serialised form. */
function messageType(m: Obj): string | undefined {
  if (typeof m._getType === "function") return (m._getType as () => string)();
  if (typeof m.getType === "function") return (m.getType as () => string)();
  if (typeof m.type === "string") return m.type;
  const id = (m.id ?? (m as { lc_id?: unknown }).lc_id) as unknown;
  if (Array.isArray(id)) {
    const cls = String(id.at(-1));
    if (cls.startsWith("Human")) return "human";
    if (cls.startsWith("AI")) return "ai";
    if (cls.startsWith("System")) return "system";
    if (cls.startsWith("Tool")) return "tool";
  }
  return undefined;
}

/** A LangChain message (`HumanMessage`, `AIMessage`, `ToolMessage`, ...) as an OpenAI-style chat message. */
export function toChatMessage(message: unknown): ChatMessage {
  if (!isRecord(message)) return { role: "user", content: String(message) };
  const m = (isRecord(message.kwargs) && message.lc === 1 ? message.kwargs : message) as Obj;
  const type = messageType(message) ?? messageType(m) ?? "user";
  const role = type === "chat" && typeof m.role === "string" ? m.role : (ROLE_BY_TYPE[type] ?? type);
  const out: ChatMessage = { role, content: m.content ?? "" };
  if (typeof m.name === "string") out.name = m.name;
  const toolCalls = m.tool_calls as Array<{ id?: string; name: string; args: unknown }> | undefined;
  if (role === "assistant" && Array.isArray(toolCalls) && toolCalls.length > 0) {
    out.tool_calls = toolCalls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args ?? {}) },
    }));
  }
  if (role === "tool" && typeof m.tool_call_id === "string") out.tool_call_id = m.tool_call_id;
  return out;
}

/** Token usage from an LLM result: `llmOutput.tokenUsage` or the message's `usage_metadata`. */
export function toTokenUsage(result: unknown): TokenUsage | null {
  if (!isRecord(result)) return null;
  const fromMetadata = (meta: unknown): TokenUsage | null => {
    if (!isRecord(meta) || typeof meta.input_tokens !== "number") return null;
    const usage: TokenUsage = {
      input_tokens: meta.input_tokens,
      output_tokens: Number(meta.output_tokens ?? 0),
      total_tokens: Number(meta.total_tokens ?? Number(meta.input_tokens) + Number(meta.output_tokens ?? 0)),
    };
    const details = meta.input_token_details as Obj | undefined;
    if (isRecord(details) && typeof details.cache_read === "number") usage.cache_read_input_tokens = details.cache_read;
    return usage;
  };
  const generations = result.generations as unknown[][] | undefined;
  const message = (generations?.[0]?.[0] as Obj | undefined)?.message as Obj | undefined;
  const viaMessage = fromMetadata(message?.usage_metadata);
  if (viaMessage) return viaMessage;
  const llmOutput = result.llmOutput as Obj | undefined;
  const tokenUsage = (llmOutput?.tokenUsage ?? llmOutput?.estimatedTokenUsage) as Obj | undefined;
  if (isRecord(tokenUsage) && typeof tokenUsage.promptTokens === "number") {
    const input = tokenUsage.promptTokens;
    const output = Number(tokenUsage.completionTokens ?? 0);
    return {
      input_tokens: input,
      output_tokens: output,
      total_tokens: Number(tokenUsage.totalTokens ?? input + output),
    };
  }
  return null;
}

/** The assistant message of an LLM result (first generation). */
export function resultMessage(result: unknown): ChatMessage | null {
  const generations = (result as { generations?: unknown[][] } | null)?.generations;
  const first = generations?.[0]?.[0] as Obj | undefined;
  if (!first) return null;
  if (isRecord(first.message)) return toChatMessage(first.message);
  if (typeof first.text === "string") return { role: "assistant", content: first.text };
  return null;
}

/** An LLM result for the span's outputs: generations with messages made readable. */
export function resultOutputs(result: unknown): unknown {
  if (!isRecord(result)) return result;
  // a stream that ended without a chunk reports its generation as undefined
  const generations = (result.generations as Array<Array<Obj | undefined>> | undefined)?.map((group) =>
    group.filter(isRecord).map((g) => ({
      text: g.text,
      ...(g.generationInfo ? { generation_info: g.generationInfo } : {}),
      ...(isRecord(g.message) ? { message: toChatMessage(g.message) } : {}),
    })),
  );
  return { generations, ...(result.llmOutput ? { llm_output: result.llmOutput } : {}) };
}

/** LangChain documents as MLflow documents (`page_content`, `metadata`, `id`). */
export function toDocuments(documents: unknown): unknown {
  if (!Array.isArray(documents)) return documents;
  return documents.map((d) => {
    const doc = d as Obj;
    return {
      page_content: doc.pageContent ?? doc.page_content ?? "",
      metadata: doc.metadata ?? {},
      id: doc.id ?? null,
    };
  });
}

/** Tools bound to a chat model, from its invocation params, in the chat-completions tool format. */
export function boundTools(invocationParams: unknown): ChatTool[] {
  const tools = isRecord(invocationParams) ? invocationParams.tools : undefined;
  if (!Array.isArray(tools)) return [];
  return tools.map((t) => {
    const tool = t as Obj;
    if (typeof tool.type === "string" && isRecord(tool.function)) return tool as ChatTool;
    return {
      type: "function",
      function: {
        name: String(tool.name ?? "tool"),
        description: tool.description as string,
        parameters: tool.parameters ?? tool.schema,
      },
    } as ChatTool;
  });
}

/** Scalar invocation parameters (model, temperature, ...) as span attributes. */
export function invocationAttributes(invocationParams: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(invocationParams)) return out;
  for (const [k, v] of Object.entries(invocationParams)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}

/** A tool's output: a ToolMessage's content, or the value itself. */
export function toolOutput(output: unknown): unknown {
  if (isRecord(output) && "content" in output && (messageType(output) === "tool" || output.lc === 1)) {
    const m = (output.lc === 1 && isRecord(output.kwargs) ? output.kwargs : output) as Obj;
    return m.content;
  }
  return output;
}
