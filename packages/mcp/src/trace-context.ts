/**
 * The W3C trace context an MCP request carries in `params._meta` (`traceparent`, `tracestate`;
 * SEP-414 and the OpenTelemetry MCP conventions), so that a server running Tracewright continues
 * the client's trace. The only module that touches the propagation API.
 */
import { getTracingContextHeadersForHttpRequest, withTracingContextFromHeaders } from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";

const KEYS = ["traceparent", "tracestate"] as const;

/**
 * `params` with the active span's trace context added to its `_meta`: a new object (the caller's
 * params are not touched); a `traceparent` the caller set itself is kept. The same `params` when
 * no span is active.
 */
export function withTraceContext<P>(params: P): P {
  const headers = getTracingContextHeadersForHttpRequest();
  if (headers.traceparent === undefined) return params;
  const base: Record<string, unknown> = isRecord(params) ? params : {};
  const meta = isRecord(base._meta) ? base._meta : {};
  return { ...base, _meta: { ...headers, ...meta } } as P;
}

/** The trace context a request's `_meta` carries, as headers; null when it carries none. */
export function traceContextOf(params: unknown): Record<string, string> | null {
  if (!isRecord(params) || !isRecord(params._meta)) return null;
  const headers: Record<string, string> = {};
  for (const key of KEYS) {
    const value = params._meta[key];
    if (typeof value === "string") headers[key] = value;
  }
  return headers.traceparent === undefined ? null : headers;
}

/** Runs `fn` in the trace context of a request (spans started inside continue the caller's trace), or as is. */
export function inTraceContextOf<T>(params: unknown, fn: () => T): T {
  const headers = traceContextOf(params);
  return headers === null ? fn() : withTracingContextFromHeaders(headers, fn);
}
