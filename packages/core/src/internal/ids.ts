import { randomFillSync } from "node:crypto";
import { TRACE_ID_PREFIX } from "../constants.js";

// Ids come from a pooled buffer of random bytes, hex-encoded natively once per refill: an id is
// then a substring of that text, far cheaper than a native call (or Math.random()) per id.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let hexPool = "";
let poolOffset = POOL_SIZE;
const ALL_ZEROS = /^0+$/;

/** Random lowercase hex of `bytes` bytes; never all zeros (an invalid OpenTelemetry id). */
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    hexPool = pool.toString("hex");
    poolOffset = 0;
  }
  const hex = hexPool.substring(poolOffset * 2, (poolOffset + bytes) * 2);
  poolOffset += bytes;
  // all zeros (an invalid id) starts with a zero: the regex runs for one id in sixteen
  return hex.charCodeAt(0) === 48 && ALL_ZEROS.test(hex) ? randomHex(bytes) : hex;
}

let timePrefixMs = -1;
let timePrefix = "";

/**
 * A new OpenTelemetry trace id: 32 lowercase hex characters, the first 12 the time in ms, the
 * other 20 random (10 bytes: W3C Trace Context level 2 asks the right-most 7 to be random; AWS
 * X-Ray ids lead with the time the same way). Time-ordered ids keep the embedded store's index of
 * trace ids append-only: random ones put every insert on a random page of it, which at 1M stored
 * traces costs a 4 KiB page written per trace.
 */
export function newOtelTraceId(): string {
  const ms = Date.now();
  // many traces start within one millisecond: its hex form is made once, not per trace
  if (ms !== timePrefixMs) {
    timePrefixMs = ms;
    timePrefix = ms.toString(16).padStart(12, "0");
  }
  return timePrefix + randomHex(10);
}

/** A new span id: 16 lowercase hex characters. */
export const newSpanId = (): string => randomHex(8);

/** MLflow's trace id for an OpenTelemetry trace id: `tr-` + 32 hex. */
export const toMlflowTraceId = (otelTraceId: string): string => TRACE_ID_PREFIX + otelTraceId;

/** The OpenTelemetry trace id inside an MLflow trace id (`tr-<hex>` → `<hex>`). */
export function otelTraceIdOf(traceId: string): string {
  return traceId.startsWith(TRACE_ID_PREFIX) ? traceId.slice(TRACE_ID_PREFIX.length) : traceId;
}

/** Each hex digit's value by character code; -1 for anything else. */
const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUES["0123456789abcdef".charCodeAt(i)] = i;
  HEX_VALUES["0123456789ABCDEF".charCodeAt(i)] = i;
}
/** The character codes of base64's alphabet. */
const BASE64_CODES = Uint8Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", (c) =>
  c.charCodeAt(0),
);
const PAD = 61; // "="

const hexAt = (hex: string, i: number): number => {
  const c = hex.charCodeAt(i);
  return c < 128 ? (HEX_VALUES[c] as number) : -1;
};
/** Three hex digits from `i` as one 12-bit number (two base64 digits); negative if one is no hex digit. */
const twelveBits = (hex: string, i: number): number =>
  (hexAt(hex, i) << 8) | (hexAt(hex, i + 1) << 4) | hexAt(hex, i + 2);
const hi = (bits12: number): number => BASE64_CODES[bits12 >> 6] as number;
const lo = (bits12: number): number => BASE64_CODES[bits12 & 63] as number;

/**
 * Base64 of the bytes a hex string spells, as `Buffer.from(hex, "hex").toString("base64")`.
 * Every span is written with three ids in base64 (MLflow's span dict), so span and trace ids,
 * 16 and 32 hex digits, are converted here in one string allocation each, several times faster
 * than the round trip through a Buffer; any other input takes that round trip.
 */
export function hexToBase64(hex: string): string {
  if (hex.length === 16) {
    const g0 = twelveBits(hex, 0);
    const g1 = twelveBits(hex, 3);
    const g2 = twelveBits(hex, 6);
    const g3 = twelveBits(hex, 9);
    const g4 = twelveBits(hex, 12);
    const last = hexAt(hex, 15); // 8 bytes: the last 4 bits fill one digit, and one "=" pads
    if ((g0 | g1 | g2 | g3 | g4 | last) >= 0) {
      // biome-ignore format: one base64 digit per argument, in pairs
      return String.fromCharCode(hi(g0), lo(g0), hi(g1), lo(g1), hi(g2), lo(g2), hi(g3), lo(g3), hi(g4), lo(g4),
        BASE64_CODES[last << 2] as number, PAD);
    }
  } else if (hex.length === 32) {
    const g0 = twelveBits(hex, 0);
    const g1 = twelveBits(hex, 3);
    const g2 = twelveBits(hex, 6);
    const g3 = twelveBits(hex, 9);
    const g4 = twelveBits(hex, 12);
    const g5 = twelveBits(hex, 15);
    const g6 = twelveBits(hex, 18);
    const g7 = twelveBits(hex, 21);
    const g8 = twelveBits(hex, 24);
    const g9 = twelveBits(hex, 27);
    const a = hexAt(hex, 30);
    const b = hexAt(hex, 31);
    if ((g0 | g1 | g2 | g3 | g4 | g5 | g6 | g7 | g8 | g9 | a | b) >= 0) {
      const last = (a << 4) | b; // 16 bytes: the last byte fills two digits, and "==" pads
      // biome-ignore format: one base64 digit per argument, in pairs
      return String.fromCharCode(hi(g0), lo(g0), hi(g1), lo(g1), hi(g2), lo(g2), hi(g3), lo(g3), hi(g4), lo(g4),
        hi(g5), lo(g5), hi(g6), lo(g6), hi(g7), lo(g7), hi(g8), lo(g8), hi(g9), lo(g9),
        BASE64_CODES[last >> 2] as number, BASE64_CODES[(last & 3) << 4] as number, PAD, PAD);
    }
  }
  return Buffer.from(hex, "hex").toString("base64");
}

/** MLflow 2's form of an 8- or 16-byte id: `0x` and at most 16 or 32 hex digits. */
const PREFIXED_HEX = { 8: /^0x[0-9a-f]{1,16}$/i, 16: /^0x[0-9a-f]{1,32}$/i } as const;

/**
 * Reads an id as written in a span dict: base64 of the raw bytes (MLflow Python), hex,
 * `0x`-prefixed hex (MLflow 2), or base64 of the `tr-...` string (MLflow's TypeScript SDK).
 */
export function idToHex(id: string, byteLength: 8 | 16): string {
  // Base64 begins with "0x" too, for one id in 4096 (bytes d3 1…); its "=" padding is no hex
  // digit, so only an id of nothing but hex digits after the "0x" is MLflow 2's form.
  if (PREFIXED_HEX[byteLength].test(id)) {
    const digits = id.slice(2).toLowerCase();
    return digits.padStart(byteLength * 2, "0");
  }
  if (id.length === byteLength * 2 && /^[0-9a-f]+$/i.test(id)) return id.toLowerCase();
  if (id.startsWith(TRACE_ID_PREFIX)) return otelTraceIdOf(id);
  const bytes = Buffer.from(id, "base64");
  if (bytes.length === byteLength) return bytes.toString("hex");
  const text = bytes.toString("utf8");
  if (text.startsWith(TRACE_ID_PREFIX)) return otelTraceIdOf(text);
  if (/^[0-9a-f]+$/i.test(text) && text.length === byteLength * 2) return text.toLowerCase();
  return bytes
    .toString("hex")
    .padStart(byteLength * 2, "0")
    .slice(-byteLength * 2);
}
