import { SpanAttributeKey } from "../constants.js";
import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";

/** What part of a span a value to redact belongs to. */
export type RedactionTarget = "inputs" | "outputs" | "attribute" | "event";

/** Where a value to redact comes from. */
export interface RedactionContext {
  target: RedactionTarget;
  /**
   * The attribute key, for `target: "attribute"` (e.g. `mlflow.chat.messages`) and `"event"` (an
   * attribute of a span event, e.g. `exception.message`).
   */
  key?: string;
  /** For `target: "event"`: the event's name (e.g. `exception`, `new_token`). */
  eventName?: string;
  /** The name of the span the value is recorded on. */
  spanName: string;
}

/**
 * Receives every value before it is recorded on a span and returns what to record instead
 * (`undefined` records nothing). It must not mutate its argument. A redactor that throws is
 * logged once and the value is dropped, never recorded unredacted.
 */
export type Redactor = (value: unknown, context: RedactionContext) => unknown;

/** Attributes that describe the span's structure, not the user's data: never passed to redactors. */
const STRUCTURAL_KEYS = new Set<string>([
  SpanAttributeKey.SPAN_TYPE,
  SpanAttributeKey.REQUEST_ID,
  SpanAttributeKey.FUNCTION_NAME,
  SpanAttributeKey.CHAT_USAGE,
  SpanAttributeKey.MESSAGE_FORMAT,
]);

/** The process-wide redactor, shared by every copy of core. */
const redaction = processSingleton("redaction", () => ({ global: undefined as Redactor | undefined }));

/**
 * Sets a redactor applied to the inputs, outputs and attributes of every span, whatever created it
 * (`trace()`, `withSpan()`, any integration); `null` removes it. Integrations' own `redact`
 * options run first, then this one.
 *
 * @example
 * ```ts
 * setRedactor((value, { target }) => (target === "inputs" ? scrubEmails(value) : value));
 * ```
 */
export function setRedactor(redactor: Redactor | null): void {
  if (redactor !== null && typeof redactor !== "function") {
    throw new TypeError("setRedactor(redactor): redactor must be a function or null.");
  }
  redaction.global = redactor ?? undefined;
}

/** Marks a value dropped because its redactor failed. */
export const REDACTION_FAILED = "<dropped: redactor failed>";

function applyOne(redactor: Redactor, value: unknown, context: RedactionContext): unknown {
  try {
    return redactor(value, context);
  } catch (e) {
    log.warnOnce(
      `redactor-failed:${context.target}`,
      `a redactor threw while redacting ${context.target}${context.key ? ` "${context.key}"` : ""} of span "${context.spanName}"; the value was dropped`,
      e,
    );
    return REDACTION_FAILED;
  }
}

/** True when some redactor would see a value for `key` (a cheap check for the hot path). */
export function needsRedaction(own: Redactor | undefined, key?: string): boolean {
  if (own === undefined && redaction.global === undefined) return false;
  return key === undefined || !STRUCTURAL_KEYS.has(key);
}

/** `value` after the span's own redactor, then the process-wide one. */
export function redactValue(own: Redactor | undefined, value: unknown, context: RedactionContext): unknown {
  let v = value;
  if (own !== undefined) v = applyOne(own, v, context);
  const global = redaction.global;
  if (global !== undefined && v !== undefined) v = applyOne(global, v, context);
  return v;
}
