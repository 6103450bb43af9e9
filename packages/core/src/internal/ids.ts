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
  return ALL_ZEROS.test(hex) ? randomHex(bytes) : hex;
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

export const hexToBase64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");

/**
 * Reads an id as written in a span dict: base64 of the raw bytes (MLflow Python), hex,
 * `0x`-prefixed hex (MLflow 2), or base64 of the `tr-...` string (MLflow's TypeScript SDK).
 */
export function idToHex(id: string, byteLength: 8 | 16): string {
  if (id.startsWith("0x")) return id.slice(2).padStart(byteLength * 2, "0");
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
