import { MAX_PREVIEW_CHARS } from "../constants.js";

type Message = { role?: unknown; content?: unknown };

function contentText(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const texts = content
      .map((part) => (typeof part === "string" ? part : (part as { text?: unknown })?.text))
      .filter((t): t is string => typeof t === "string");
    return texts.length > 0 ? texts.join("\n") : null;
  }
  return null;
}

function lastMessageText(messages: unknown, role: string): string | null {
  if (!Array.isArray(messages)) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message | undefined;
    if (m && m.role === role) return contentText(m.content);
  }
  return null;
}

/** Cuts a preview to MLflow's limit of 1,000 characters. */
export const truncatePreview = (text: string): string =>
  text.length > MAX_PREVIEW_CHARS ? `${text.slice(0, MAX_PREVIEW_CHARS - 3)}...` : text;

/** The request preview: the last user message for chat-shaped inputs, else the inputs JSON. */
export function requestPreview(inputsJson: string | undefined): string | null {
  if (inputsJson === undefined) return null;
  if (inputsJson.includes('"messages"')) {
    try {
      const text = lastMessageText((JSON.parse(inputsJson) as { messages?: unknown }).messages, "user");
      if (text !== null) return truncatePreview(text);
    } catch {
      // not JSON after all: fall back to the raw text
    }
  }
  return truncatePreview(inputsJson);
}

/** The response preview: the assistant message for chat-shaped outputs, else the outputs JSON. */
export function responsePreview(outputsJson: string | undefined): string | null {
  if (outputsJson === undefined) return null;
  if (outputsJson.includes('"choices"') || outputsJson.includes('"messages"')) {
    try {
      const out = JSON.parse(outputsJson) as { choices?: Array<{ message?: Message }>; messages?: unknown };
      const choice = out.choices?.[0]?.message;
      const text = choice ? contentText(choice.content) : lastMessageText(out.messages, "assistant");
      if (text !== null) return truncatePreview(text);
    } catch {
      // fall back to the raw text
    }
  }
  return truncatePreview(outputsJson);
}
