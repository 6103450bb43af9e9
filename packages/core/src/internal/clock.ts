import type { TimeInput } from "@opentelemetry/api";

const origin = performance.timeOrigin;

/** Wall-clock time in nanoseconds since the epoch (sub-microsecond precision is lost to floats). */
export const nowNs = (): number => Math.round((origin + performance.now()) * 1e6);

export const nsToMs = (ns: number): number => Math.floor(ns / 1e6);

/**
 * An OpenTelemetry time (`[seconds, nanos]`, a `Date`, or milliseconds: epoch milliseconds, or
 * `performance.now()`-relative ones when below the process's time origin, as OpenTelemetry reads
 * them) in nanoseconds since the epoch.
 */
export function timeInputToNs(t: TimeInput): number {
  if (Array.isArray(t)) return t[0] * 1e9 + t[1];
  if (t instanceof Date) return t.getTime() * 1e6;
  return Math.round((t < origin ? origin + t : t) * 1e6);
}
