import { SpanAttributeKey } from "../constants.js";
import type { Redactor } from "../tracing/redaction.js";

/** The options every integration's `autolog()` takes, with one meaning everywhere. */
export interface AutologOptions {
  /** Turn the integration off: restore what it patched or unregister what it registered. */
  disable?: boolean;
  /** Silence the integration's own warnings (default false). */
  silent?: boolean;
  /**
   * Applied to every input, output and attribute the integration records (chat messages
   * included), before the process-wide redactor (`setRedactor`). Return what to record instead;
   * `undefined` records nothing. A redactor that throws is logged once and the value dropped.
   */
  redact?: Redactor;
  /**
   * Record message content, prompts and completions (default true). With `false`, spans keep their
   * structure, model, tool names and token usage, but no inputs, outputs or message text.
   */
  recordContent?: boolean;
  /** Record traces (default true). `false` keeps the integration installed but records nothing. */
  logTraces?: boolean;
}

/** The common options in force for an integration, resolved once per `autolog()` call. */
export interface CommonSettings {
  silent: boolean;
  recordContent: boolean;
  logTraces: boolean;
  /** The span redactor combining `recordContent` and `redact`; undefined when neither applies. */
  redactor: Redactor | undefined;
}

/** Chat messages with their text taken out: roles, tool-call names and ids stay. */
function withoutContent(messages: unknown): unknown {
  if (!Array.isArray(messages)) return undefined;
  return messages.map((m) => {
    if (m === null || typeof m !== "object") return {};
    const { role, tool_calls, tool_call_id, name } = m as Record<string, unknown>;
    const kept: Record<string, unknown> = { role };
    if (name !== undefined) kept.name = name;
    if (tool_call_id !== undefined) kept.tool_call_id = tool_call_id;
    if (Array.isArray(tool_calls)) {
      kept.tool_calls = tool_calls.map((c) => {
        const call = c as { id?: unknown; type?: unknown; function?: { name?: unknown } };
        return { id: call.id, type: call.type, function: { name: call.function?.name } };
      });
    }
    return kept;
  });
}

/** Event attributes that describe what happened rather than carry the conversation. */
const STRUCTURAL_EVENT_KEYS = new Set([
  "reason",
  "tool",
  "exception.type",
  "exception.message",
  "exception.stacktrace",
]);

/**
 * Leaves content out: inputs and outputs are not recorded, chat messages keep only their
 * structure, and span events keep their numbers, flags and the keys above (a streamed token, an
 * agent's reasoning text or a GenAI content event's message are dropped).
 */
const contentOmitted: Redactor = (value, { target, key }) => {
  if (target === "event") {
    if (typeof value !== "string" && typeof value !== "object") return value;
    return key !== undefined && STRUCTURAL_EVENT_KEYS.has(key) ? value : undefined;
  }
  if (target !== "attribute") return undefined;
  if (key === SpanAttributeKey.CHAT_MESSAGES) return withoutContent(value);
  return value;
};

/** Resolves the common options of an `autolog()` call. */
export function commonSettings(options: AutologOptions): CommonSettings {
  if (options.redact !== undefined && typeof options.redact !== "function") {
    throw new TypeError("autolog({ redact }): redact must be a function (value, context) => value.");
  }
  const recordContent = options.recordContent ?? true;
  const user = options.redact;
  let redactor: Redactor | undefined;
  if (!recordContent && user) {
    redactor = (value, context) => {
      const kept = contentOmitted(value, context);
      return kept === undefined ? undefined : user(kept, context);
    };
  } else redactor = recordContent ? user : contentOmitted;
  return { silent: options.silent ?? false, recordContent, logTraces: options.logTraces ?? true, redactor };
}
