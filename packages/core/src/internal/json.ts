import { processSingleton } from "./process-state.js";
import { isSecretValue, mayHoldSecret, REDACTED, redactSecretsInString } from "./secrets.js";

/**
 * JSON encoding for span attributes. User payloads can be anything: circular graphs, BigInts,
 * Errors, Maps, class instances, huge strings. Encoding never throws and always yields JSON.
 */

/**
 * Strings longer than this inside a payload are cut, so one giant value cannot exhaust memory.
 * Shared by every copy of core, so the setter applies to all of them.
 */
const payloadLimits = processSingleton("payload-limits", () => ({ maxStringChars: 1_000_000 }));

/** Sets the longest string kept whole inside a recorded payload (default 1,000,000 characters). */
export function setMaxPayloadStringChars(n: number): void {
  payloadLimits.maxStringChars = n;
}

function truncate(s: string): string {
  return s.length > payloadLimits.maxStringChars
    ? `${s.slice(0, payloadLimits.maxStringChars)}...[truncated ${s.length - payloadLimits.maxStringChars} chars]`
    : s;
}

/** What a secret's value is recorded as. */
export { REDACTED } from "./secrets.js";

function describeError(e: Error): Record<string, unknown> {
  return { type: e.name, message: e.message };
}

/** Replacer used after the plain fast path failed or found something it cannot render. */
function makeSafeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, key: string, value: unknown): unknown {
    if (key !== "" && isSecretValue(key, value, this)) return REDACTED;
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "string") return redactSecretsInString(truncate(value));
    if (typeof value === "function") return `<function ${value.name || "anonymous"}>`;
    if (typeof value === "symbol") return value.toString();
    if (value === null || typeof value !== "object") return value;
    // `this` is the object holding `value`: unwind the ancestor stack to it.
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(value)) return "[Circular]";
    ancestors.push(value);
    if (value instanceof Error) return describeError(value);
    if (value instanceof Map) return Object.fromEntries(value);
    if (value instanceof Set) return [...value];
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return `<${value.constructor.name} length=${(value as unknown as { length: number }).length}>`;
    }
    return value;
  };
}

function needsSlowPath(value: unknown): boolean {
  return value instanceof Error || value instanceof Map || value instanceof Set;
}

/**
 * Encodes `value` as JSON. Never throws: cycles become `"[Circular]"`, BigInts strings,
 * Errors `{type, message}`, Maps objects, Sets arrays, `undefined` becomes `null`, and secrets
 * become `"[REDACTED]"`: values under secret-looking keys (`apiKey`, `api_token`, `authorization`,
 * `password`, ...) and secret-shaped strings (`sk-…`, `Bearer …`, `user:pass@` in URLs, AWS keys),
 * see ./secrets.ts.
 */
export function toJson(value: unknown): string {
  if (value === undefined) return "null";
  if (typeof value === "string")
    return JSON.stringify(redactSecretsInString(value.length > payloadLimits.maxStringChars ? truncate(value) : value));
  if (!needsSlowPath(value)) {
    try {
      const out = JSON.stringify(value);
      if (out !== undefined && out.length <= payloadLimits.maxStringChars && !mayHoldSecret(out)) return out;
    } catch {
      // circular or BigInt: fall through to the safe path
    }
  }
  try {
    return JSON.stringify(value, makeSafeReplacer()) ?? "null";
  } catch (e) {
    return JSON.stringify(`<unserializable: ${e instanceof Error ? e.message : String(e)}>`);
  }
}

/** Decodes an attribute value; a value that is not JSON is returned as the raw string. */
export function fromJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
