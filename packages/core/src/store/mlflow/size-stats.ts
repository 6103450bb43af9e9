import { TraceMetadataKey } from "../../constants.js";
import { Trace } from "../../entities/trace.js";
import { TraceData } from "../../entities/trace-data.js";

/** Trace metadata key of the JSON size statistics MLflow's Python client writes. */
export const SIZE_STATS_KEY = TraceMetadataKey.SIZE_STATS;
/** Trace metadata key of the total size, kept by MLflow beside the statistics. */
export const SIZE_BYTES_KEY = TraceMetadataKey.SIZE_BYTES;

/** The spans' JSON (MLflow span dicts), one string per span, serialised once for both uses. */
export function spanJsonOf(trace: Trace): string[] {
  return trace.data.spans.map((s) => JSON.stringify(s.toDict()));
}

/** `traces.json` built from the per-span JSON (the same text as `JSON.stringify(trace.data.toDict())`). */
export const tracesJsonFrom = (spanJson: readonly string[]): string => `{"spans":[${spanJson.join(",")}]}`;

/** Linear interpolation between the nearest ranks, as MLflow's `_calculate_percentile`. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = p * (sorted.length - 1);
  const lower = Math.floor(index);
  if (lower + 1 >= sorted.length) return sorted[sorted.length - 1] as number;
  const weight = index - lower;
  return (sorted[lower] as number) * (1 - weight) + (sorted[lower + 1] as number) * weight;
}

/**
 * `mlflow.trace.sizeStats` and `mlflow.trace.sizeBytes` as MLflow's Python client computes them
 * before logging a trace (`add_size_stats_to_trace_metadata`): UTF-8 bytes of each span's JSON,
 * plus the trace without spans, plus the separators between spans; the statistics exclude
 * themselves. MLflow's UI shows them on the trace.
 */
export function sizeMetadata(trace: Trace, spanJson: readonly string[]): Record<string, string> {
  const spanSizes = spanJson.map((s) => Buffer.byteLength(s, "utf8"));
  const withoutSpans = Buffer.byteLength(JSON.stringify(new Trace(trace.info, new TraceData([])).toDict()), "utf8");
  const total = spanSizes.reduce((a, b) => a + b, 0) + withoutSpans + Math.max(0, spanSizes.length - 1) * 2;
  const sorted = [...spanSizes].sort((a, b) => a - b);
  // MLflow's TraceSizeStatsKey names, in its order
  const stats: Array<[string, number]> = [
    ["total_size_bytes", total],
    ["num_spans", spanSizes.length],
    ["max", sorted.at(-1) ?? 0],
    ["p25", Math.trunc(percentile(sorted, 0.25))],
    ["p50", Math.trunc(percentile(sorted, 0.5))],
    ["p75", Math.trunc(percentile(sorted, 0.75))],
  ];
  // the text Python's json.dumps writes (", " and ": " separators), byte for byte
  const statsJson = `{${stats.map(([k, v]) => `"${k}": ${v}`).join(", ")}}`;
  return { [SIZE_STATS_KEY]: statsJson, [SIZE_BYTES_KEY]: String(total) };
}
