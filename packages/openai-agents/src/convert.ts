/**
 * Pure conversions from the Agents SDK's span data to MLflow's span formats: span types and
 * names, Responses API items to OpenAI-style chat messages, tools, token usage.
 */
import type { ChatMessage, ChatTool, SpanType, TokenUsage } from "@tracewright/core";
import { isRecord as isObj } from "@tracewright/core/instrumentation";

type Obj = Record<string, unknown>;

/** The span type of an Agents SDK span, by its data's `type`. */
export function spanTypeOf(data: Obj): SpanType {
  switch (data.type) {
    case "agent":
      return "AGENT";
    case "function":
    case "mcp_tools":
      return "TOOL";
    case "generation":
    case "response":
      return "CHAT_MODEL";
    case "transcription":
    case "speech":
      return "LLM";
    case "custom":
      return "UNKNOWN";
    default:
      return "CHAIN"; // handoff, guardrail, task, turn, speech_group
  }
}

/** The span name: the agent's, tool's or guardrail's own name, else the kind of step. */
export function spanNameOf(data: Obj): string {
  if (typeof data.name === "string" && data.name !== "") return data.name;
  if (data.type === "handoff") return handoffName(data);
  if (data.type === "turn" && typeof data.agent_name === "string")
    return `turn ${String(data.turn)}: ${data.agent_name}`;
  const type = String(data.type ?? "span");
  return type.charAt(0).toUpperCase() + type.slice(1);
}

export function handoffName(data: Obj): string {
  return `Handoff: ${String(data.from_agent ?? "?")} -> ${String(data.to_agent ?? "?")}`;
}

function textOf(content: unknown): unknown {
  if (!Array.isArray(content)) return content ?? "";
  const texts = content.filter(isObj).map((part) => (typeof part.text === "string" ? part.text : ""));
  return texts.every((t) => t !== "") ? texts.join("") : content;
}

/**
 * Responses API items (request input or response output) as chat messages: messages keep their
 * role and text, `function_call` items become assistant `tool_calls`, `function_call_output`
 * items tool messages.
 */
export function responseItemsToMessages(items: unknown): ChatMessage[] {
  if (typeof items === "string") return [{ role: "user", content: items }];
  if (!Array.isArray(items)) return [];
  const messages: ChatMessage[] = [];
  for (const item of items.filter(isObj)) {
    // the SDK's own item form (`callId`, `function_call_result`) and the API's (`call_id`, `function_call_output`)
    const callId = String(item.call_id ?? item.callId ?? item.id ?? "");
    if (item.type === "function_call") {
      const call = {
        id: callId,
        type: "function",
        function: { name: String(item.name ?? ""), arguments: String(item.arguments ?? "") },
      };
      const last = messages.at(-1);
      if (last?.role === "assistant" && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
      else messages.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (item.type === "function_call_output" || item.type === "function_call_result") {
      const output = isObj(item.output) && typeof item.output.text === "string" ? item.output.text : item.output;
      messages.push({
        role: "tool",
        tool_call_id: callId,
        content: typeof output === "string" ? output : JSON.stringify(output ?? ""),
      });
    } else if (typeof item.role === "string") {
      messages.push({ role: item.role, content: textOf(item.content) });
    }
  }
  return messages;
}

/** The final text of a Responses API response (its output messages' text). */
export function responseText(response: unknown): string | undefined {
  if (!isObj(response) || !Array.isArray(response.output)) return undefined;
  const texts = responseItemsToMessages(response.output)
    .filter((m) => m.role === "assistant" && typeof m.content === "string")
    .map((m) => m.content as string);
  return texts.length > 0 ? texts.join("") : undefined;
}

/** Function tools of a Responses API request or response as chat tools. */
export function responseTools(tools: unknown): ChatTool[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isObj).map((tool) => {
    if (tool.type !== "function") return { type: String(tool.type) };
    const fn: ChatTool["function"] = { name: String(tool.name ?? "") };
    if (typeof tool.description === "string") fn.description = tool.description;
    if (tool.parameters !== undefined) fn.parameters = tool.parameters;
    return { type: "function", function: fn };
  });
}

/** Token usage reported as `{input_tokens, output_tokens, total_tokens?}`. */
export function toTokenUsage(usage: unknown): TokenUsage | null {
  if (!isObj(usage) || typeof usage.input_tokens !== "number" || typeof usage.output_tokens !== "number") return null;
  const total = typeof usage.total_tokens === "number" ? usage.total_tokens : usage.input_tokens + usage.output_tokens;
  return { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, total_tokens: total };
}

/**
 * The output of a Chat Completions generation as chat messages: the SDK records either messages
 * or whole chat completions (whose choices hold the assistant's messages).
 */
export function generationOutputMessages(output: unknown): ChatMessage[] | null {
  if (!Array.isArray(output)) return null;
  const messages: ChatMessage[] = [];
  for (const item of output) {
    if (isObj(item) && typeof item.role === "string") messages.push(item as ChatMessage);
    else if (isObj(item) && Array.isArray(item.choices)) {
      for (const choice of item.choices) {
        if (isObj(choice) && isObj(choice.message) && typeof choice.message.role === "string")
          messages.push(choice.message as ChatMessage);
      }
    } else return null;
  }
  return messages;
}

/** The usage a chat completion in a generation's output reports (`prompt_tokens`, `completion_tokens`). */
export function chatCompletionUsage(output: unknown): TokenUsage | null {
  if (!Array.isArray(output)) return null;
  for (const item of output) {
    const usage = isObj(item) ? item.usage : undefined;
    if (isObj(usage) && typeof usage.prompt_tokens === "number" && typeof usage.completion_tokens === "number") {
      const total =
        typeof usage.total_tokens === "number" ? usage.total_tokens : usage.prompt_tokens + usage.completion_tokens;
      return { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, total_tokens: total };
    }
  }
  return null;
}
