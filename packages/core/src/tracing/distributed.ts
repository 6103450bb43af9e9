import { createRequire } from "node:module";
import { isAbsolute } from "node:path";
import {
  type Context,
  context,
  createContextKey,
  isSpanContextValid,
  trace as otelTrace,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from "@opentelemetry/api";
import { InvalidArgumentError } from "../errors.js";
import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";
import { activeLiveSpan, ensureContextManager } from "./context.js";

/** Incoming request headers: a fetch `Headers`, or Node's `IncomingHttpHeaders` / any plain record. */
export type IncomingTracingHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Span contexts read from request headers, shared by every copy of core in the process (the
 * registry of one copy asks about contexts another copy read). The registry asks about a foreign
 * parent span context: one from here is a span of another process in the same trace, so the
 * local span names it as its parent (MLflow's distributed tracing), whereas the span of an app's
 * own OpenTelemetry tracer in this process stays a remote parent only.
 */
const propagatedContexts = processSingleton("distributed-contexts", () => new WeakSet<SpanContext>());

/** The remote span context in force, kept in the context so its `tracestate` travels on. */
const REMOTE_PARENT_KEY = createContextKey("tracewright.distributed.remote-parent");

// Loaded on first use: @opentelemetry/core costs ~15 ms to load, and most apps never propagate.
// the CommonJS build has __filename; the ESM build import.meta.url (and, under `node -e`, a global
// __filename of "[eval]", which is no path to resolve from)
const requireHere = createRequire(
  typeof __filename === "string" && isAbsolute(__filename) ? __filename : import.meta.url,
);
let propagator: TextMapPropagator | undefined;
function w3cPropagator(): TextMapPropagator {
  if (!propagator) {
    const { W3CTraceContextPropagator } = requireHere("@opentelemetry/core") as typeof import("@opentelemetry/core");
    propagator = new W3CTraceContextPropagator();
  }
  return propagator;
}

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const headersGetter: TextMapGetter<IncomingTracingHeaders> = {
  keys: (carrier) => (isFetchHeaders(carrier) ? [...carrier.keys()] : Object.keys(carrier)),
  get: (carrier, key) => {
    if (isFetchHeaders(carrier)) return carrier.get(key) ?? undefined;
    const exact = carrier[key];
    if (exact !== undefined) return exact;
    // header names are case-insensitive; Node lower-cases them, a hand-made record may not
    for (const name of Object.keys(carrier)) if (name.toLowerCase() === key) return carrier[name];
    return undefined;
  },
};

function isFetchHeaders(carrier: IncomingTracingHeaders): carrier is Headers {
  return typeof Headers === "function" && carrier instanceof Headers;
}

/**
 * The HTTP headers that carry the active span's trace context to another service, following W3C
 * Trace Context: `traceparent`, and `tracestate` when the trace arrived with one. Send them with
 * the request; the service that receives it passes them to {@link withTracingContextFromHeaders}
 * (or, in Python, to MLflow's `set_tracing_context_from_http_request_headers`), and its spans
 * join this trace. Returns `{}` when no span is active. Never throws.
 *
 * The counterpart of MLflow's `mlflow.tracing.get_tracing_context_headers_for_http_request()`.
 *
 * @example
 * ```ts
 * await withSpan({ name: "agent" }, async () => {
 *   const reply = await fetch(toolUrl, { method: "POST", headers: getTracingContextHeadersForHttpRequest(), body });
 * });
 * ```
 */
export function getTracingContextHeadersForHttpRequest(): Record<string, string> {
  const headers: Record<string, string> = {};
  try {
    const spanContext = activeSpanContext();
    if (spanContext === null) return headers;
    w3cPropagator().inject(otelTrace.setSpanContext(ROOT_CONTEXT, spanContext), headers, recordSetter);
  } catch (e) {
    log.error("could not build the tracing context headers", e);
  }
  return headers;
}

/** The span context to propagate: the active Tracewright span's, else any valid one in the context. */
function activeSpanContext(): SpanContext | null {
  const active = context.active();
  const remote = active.getValue(REMOTE_PARENT_KEY) as SpanContext | undefined;
  const span = activeLiveSpan();
  if (span === null) {
    const foreign = otelTrace.getSpanContext(active);
    return foreign && isSpanContextValid(foreign) ? foreign : null;
  }
  const own = span.spanContext();
  // W3C asks every participant to pass the caller's tracestate on within the same trace
  if (remote?.traceState && remote.traceId === own.traceId) return { ...own, traceState: remote.traceState };
  return own;
}

/**
 * Runs `fn` in the trace context that a caller sent in its request headers (W3C `traceparent`
 * and `tracestate`, as {@link getTracingContextHeadersForHttpRequest} or MLflow's Python client
 * write them). Spans started inside `fn` belong to the caller's trace (same trace id,
 * `tr-<traceparent's trace id>`), and the first of them has the caller's span as its parent, so
 * both services' spans form one trace when they log to the same store and experiment.
 *
 * A missing or invalid `traceparent` is logged and `fn` runs unchanged, in a trace of its own.
 * Returns exactly what `fn` returns and rethrows what it throws. The counterpart of MLflow's
 * `mlflow.tracing.set_tracing_context_from_http_request_headers(headers)`.
 *
 * @example
 * ```ts
 * http.createServer((req, res) =>
 *   withTracingContextFromHeaders(req.headers, () => handleToolCall(req, res)),
 * );
 * ```
 */
export function withTracingContextFromHeaders<T>(headers: IncomingTracingHeaders, fn: () => T): T {
  if (typeof fn !== "function") {
    throw new InvalidArgumentError("withTracingContextFromHeaders(headers, fn): fn must be a function.");
  }
  if (headers !== undefined && headers !== null && typeof headers !== "object") {
    throw new InvalidArgumentError(
      `withTracingContextFromHeaders(headers, fn): headers must be a Headers object or a record of header values, got ${typeof headers}.`,
    );
  }
  const remoteContext = readRemoteContext(headers);
  if (remoteContext === null) return fn();
  return context.with(remoteContext, fn);
}

/** The context to run the callee in, or null (logged) when the headers carry no usable parent. */
function readRemoteContext(headers: IncomingTracingHeaders | null | undefined): Context | null {
  try {
    if (headers === undefined || headers === null) {
      log.debug("withTracingContextFromHeaders: no headers given; running without a remote parent");
      return null;
    }
    const raw = headersGetter.get(headers, "traceparent");
    if (raw === undefined || raw === "" || (Array.isArray(raw) && raw.length === 0)) {
      log.debug("withTracingContextFromHeaders: no traceparent header; running without a remote parent");
      return null;
    }
    ensureContextManager();
    const extracted = w3cPropagator().extract(ROOT_CONTEXT, headers, headersGetter);
    const remote = otelTrace.getSpanContext(extracted);
    if (!remote || !isSpanContextValid(remote)) {
      log.warn(
        `withTracingContextFromHeaders: invalid traceparent ${JSON.stringify(raw)}; running without a remote parent`,
      );
      return null;
    }
    propagatedContexts.add(remote);
    // the caller's context, with the remote span as the active one and remembered for tracestate
    return otelTrace.setSpanContext(context.active(), remote).setValue(REMOTE_PARENT_KEY, remote);
  } catch (e) {
    log.error("withTracingContextFromHeaders: could not read the tracing context headers", e);
    return null;
  }
}

/** @internal True when `spanContext` was read from request headers by {@link withTracingContextFromHeaders}. */
export const isPropagatedSpanContext = (spanContext: SpanContext): boolean => propagatedContexts.has(spanContext);
