import type { ParamSpec } from "./params.js";
import { processSingleton } from "./process-state.js";
import {
  isSecretKey,
  isSecretValue,
  looksLikeSecret,
  mayHoldSecret,
  REDACTED,
  redactSecretsInString,
} from "./secrets.js";

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
  if (value === undefined || value === null) return "null";
  // numbers and booleans are most scalar attributes (a status code, a temperature, a flag):
  // their JSON is their string form, and no secret can hide in it
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
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

/** A string JSON writes as it is, between quotes: no quote, backslash, control character or surrogate. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Keys as JSON text (with the colon), for the few names a traced function's parameters have. */
const encodedKeys = new Map<string, string>();
function encodedKey(key: string): string {
  let encoded = encodedKeys.get(key);
  if (encoded === undefined) {
    encoded = `${JSON.stringify(key)}:`;
    if (encodedKeys.size > 10_000) encodedKeys.clear();
    encodedKeys.set(key, encoded);
  }
  return encoded;
}

/**
 * The JSON of a value that {@link toJsonIfFlat} writes as it is: a number, boolean, null, or a
 * string with nothing to escape, cut or redact; undefined for anything else.
 */
function flatScalarJson(v: unknown): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) return "null";
  if (typeof v === "string" && v.length <= payloadLimits.maxStringChars && !NEEDS_ESCAPE.test(v) && !looksLikeSecret(v))
    return `"${v}"`;
  return undefined;
}

/**
 * {@link toJson} of a record of our own making (data properties only, such as a traced call's
 * bound arguments) whose values are all numbers, booleans, null, undefined or plain strings and
 * whose keys name no secret; undefined otherwise. For such a record the result is exactly
 * `toJson`'s (no value to redact, nothing to cut, nothing to escape), without encoding it
 * generically and scanning the text for secrets afterwards.
 */
export function toJsonIfFlat(record: Record<string, unknown>): string | undefined {
  const keys = Object.keys(record);
  let out = "{";
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const v = record[key];
    if (v === undefined) continue; // JSON leaves it out
    const encoded = flatScalarJson(v);
    if (encoded === undefined || isSecretKey(key)) return undefined;
    out += first ? encodedKey(key) : `,${encodedKey(key)}`;
    out += encoded;
    first = false;
  }
  return `${out}}`;
}

/**
 * What {@link flatArgumentsJson} needs to know of a function's parameters, worked out once per
 * traced function: each parameter's key as JSON text, and whether it names a secret.
 */
export interface FlatArgumentsPlan {
  readonly params: readonly ParamSpec[] | null;
  /**
   * Each parameter's key as JSON text, as the first entry (`{"name":`) and as a later one
   * (`,"name":`); null when the parameters cannot be encoded this way.
   */
  readonly firstKeys: readonly string[] | null;
  readonly laterKeys: readonly string[] | null;
  readonly secret: readonly boolean[];
  /** A parameter is named like an extra argument's key (`arg2`), which the two could share. */
  readonly argLikeName: boolean;
}

const ARG_LIKE = /^arg\d+$/;

/** The plan of {@link flatArgumentsJson} for parameters read by `parseParams`. */
export function flatArgumentsPlan(params: readonly ParamSpec[] | null): FlatArgumentsPlan {
  const names = params?.map((p) => p.name) ?? [];
  // keys an object would merge or treat specially make the one-pass encoding differ from it
  const encodable = new Set(names).size === names.length && !names.includes("__proto__");
  return {
    params,
    firstKeys: encodable ? names.map((n) => `{${JSON.stringify(n)}:`) : null,
    laterKeys: encodable ? names.map((n) => `,${JSON.stringify(n)}:`) : null,
    secret: names.map(isSecretKey),
    argLikeName: names.some((n) => ARG_LIKE.test(n)),
  };
}

/**
 * `toJsonIfFlat(bindArguments(params, args))`, in one pass over the arguments and without
 * building the record: the inputs of a traced call with scalar arguments, the common case,
 * encoded straight from its arguments. Undefined wherever `toJsonIfFlat` of the bound record
 * would be (a value to encode generically, a secret-named parameter), and also where the
 * parameters do not allow the one pass (a rest parameter, duplicate names): the caller then
 * binds the arguments and encodes them the general way.
 */
export function flatArgumentsJson(plan: FlatArgumentsPlan, args: ArrayLike<unknown>): string | undefined {
  const { params, firstKeys, laterKeys, secret } = plan;
  // built from whole pieces (`{"x":` + `1`), so a call with one scalar argument makes two strings
  let out = "";
  let i = 0;
  if (params !== null) {
    if (firstKeys === null || laterKeys === null) return undefined;
    if (args.length > params.length && plan.argLikeName) return undefined;
    for (; i < params.length; i++) {
      const p = params[i] as ParamSpec;
      if (p.rest) return undefined; // bound as an array: never flat
      let v = i < args.length ? args[i] : undefined;
      if (v === undefined) {
        if (!("defaultValue" in p)) continue; // not bound, so not recorded
        v = p.defaultValue;
      }
      const encoded = flatScalarJson(v);
      if (encoded === undefined || secret[i]) return undefined;
      out += (out === "" ? firstKeys[i] : laterKeys[i]) as string;
      out += encoded;
    }
  }
  // arguments beyond the parameters (or all of them, when the parameters are unknown): argN
  for (; i < args.length; i++) {
    const v = args[i];
    if (v === undefined) continue;
    const key = `arg${i}`;
    const encoded = flatScalarJson(v);
    if (encoded === undefined || isSecretKey(key)) return undefined;
    out += out === "" ? `{${encodedKey(key)}` : `,${encodedKey(key)}`;
    out += encoded;
  }
  return out === "" ? "{}" : `${out}}`;
}

/** Decodes an attribute value; a value that is not JSON is returned as the raw string. */
export function fromJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
