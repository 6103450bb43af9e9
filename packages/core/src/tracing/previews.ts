import { isProxy } from "node:util/types";
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

/** Parses `json` only when `raw` (the value it was made from) is not at hand. */
function decodedValue(json: string, raw: unknown): unknown {
  // a Proxy's traps are user code: read the JSON we made instead
  if (raw !== undefined && raw !== null && typeof raw === "object" && !isProxy(raw)) return raw;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/**
 * The request preview: the last user message for chat-shaped inputs, else the inputs JSON.
 * `raw` is the inputs value itself when known, which spares parsing the JSON back.
 */
export function requestPreview(inputsJson: string | undefined, raw?: unknown): string | null {
  if (inputsJson === undefined) return null;
  if (inputsJson.includes('"messages"')) {
    const text = guarded(() => {
      const value = decodedValue(inputsJson, raw) as { messages?: unknown } | undefined;
      return value ? lastMessageText(value.messages, "user") : null;
    });
    if (text !== null) return truncatePreview(text);
  }
  return truncatePreview(inputsJson);
}

/** `read()`, or null when the user's value throws from a getter: the JSON form still serves. */
function guarded(read: () => string | null): string | null {
  try {
    return read();
  } catch {
    return null;
  }
}

/** The response preview: the assistant message for chat-shaped outputs, else the outputs JSON. */
export function responsePreview(outputsJson: string | undefined, raw?: unknown): string | null {
  if (outputsJson === undefined) return null;
  if (outputsJson.includes('"choices"') || outputsJson.includes('"messages"')) {
    const text = guarded(() => {
      const out = decodedValue(outputsJson, raw) as
        | { choices?: Array<{ message?: Message }>; messages?: unknown }
        | undefined;
      const choice = out?.choices?.[0]?.message;
      return choice ? contentText(choice.content) : out ? lastMessageText(out.messages, "assistant") : null;
    });
    if (text !== null) return truncatePreview(text);
  }
  return truncatePreview(outputsJson);
}
