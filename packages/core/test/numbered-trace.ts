import { Span, Trace, TraceData, TraceInfo } from "../src/index.js";

/**
 * A finished trace made up for store tests, numbered `n`: its id holds `n` after a time prefix
 * (`idTimeMs`, default now: the same `n` and prefix is the same trace id, a re-log), `spans` spans
 * under one root named `name` (default `root-<n>`), the trace name and an `env` tag, plus `tags`.
 */
export function numberedTrace(
  n: number,
  options: { spans?: number; name?: string; tags?: Record<string, string>; idTimeMs?: number } = {},
): Trace {
  const { spans = 1, name = `root-${n}`, tags = {}, idTimeMs = Date.now() } = options;
  const hex = (idTimeMs.toString(16).padStart(12, "0") + n.toString(16).padStart(20, "0")).slice(0, 32);
  const list = Array.from({ length: spans }, (_, s) =>
    Span.fromDict({
      trace_id: hex,
      span_id: (n * 1000 + s + 1).toString(16).padStart(16, "0"),
      parent_span_id: s === 0 ? null : (n * 1000 + 1).toString(16).padStart(16, "0"),
      name: s === 0 ? name : `child-${s}`,
      start_time_unix_nano: 1_700_000_000_000_000_000 + n * 1_000_000,
      end_time_unix_nano: 1_700_000_000_005_000_000 + n * 1_000_000,
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: { "mlflow.spanType": '"CHAIN"', "mlflow.spanInputs": JSON.stringify({ n }) },
    }),
  );
  return new Trace(
    new TraceInfo({
      traceId: `tr-${hex}`,
      experimentId: "0",
      requestTime: 1_700_000_000_000 + n,
      executionDuration: 5,
      state: "OK",
      tags: { "mlflow.traceName": name, env: n % 2 ? "prod" : "dev", ...tags },
      traceMetadata: { "mlflow.trace_schema.version": "3", "mlflow.traceInputs": JSON.stringify({ n }) },
    }),
    new TraceData(list),
  );
}

/** The trace id every {@link tracePart} shares (hex, without the `tr-` prefix). */
export const PART_TRACE_HEX = "0123456789abcdef0123456789abcdef";

/**
 * Part `n` of one distributed trace, as a server logs each request of a caller's trace: the
 * shared trace id, one span `request-<n>` under the caller's span (not in the part).
 */
export function tracePart(n: number): Trace {
  return new Trace(
    new TraceInfo({
      traceId: `tr-${PART_TRACE_HEX}`,
      experimentId: "0",
      requestTime: 1_700_000_000_000 + n,
      executionDuration: 1,
      state: "OK",
      tags: {},
      traceMetadata: {},
    }),
    new TraceData([
      Span.fromDict({
        trace_id: PART_TRACE_HEX,
        span_id: n.toString(16).padStart(16, "0"),
        parent_span_id: "ffffffffffffffff",
        name: `request-${n}`,
        start_time_unix_nano: 1_700_000_000_000_000_000 + n * 1_000_000,
        end_time_unix_nano: 1_700_000_000_000_500_000 + n * 1_000_000,
        events: [],
        status: { code: "STATUS_CODE_OK", message: "" },
        attributes: {},
      }),
    ]),
  );
}
