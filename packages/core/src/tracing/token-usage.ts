import { SpanAttributeKey, TokenUsageKey } from "../constants.js";
import type { Span } from "../entities/span.js";
import type { TokenUsage } from "../entities/trace-info.js";

const KEYS = Object.values(TokenUsageKey);

/**
 * Sums `mlflow.chat.tokenUsage` over a trace's spans, as MLflow does: a span whose ancestor
 * already reported usage is skipped, so an agent span that reports its total is not added to
 * its own model calls. Returns null when no span reported usage.
 */
export function aggregateTokenUsage(spans: readonly Span[]): TokenUsage | null {
  let withUsage: Map<string, TokenUsage> | undefined;
  for (const span of spans) {
    if (span.rawAttribute(SpanAttributeKey.CHAT_USAGE) === undefined) continue;
    const usage = span.rawValue("usage") ?? span.getAttribute(SpanAttributeKey.CHAT_USAGE);
    if (!usage || typeof usage !== "object") continue;
    withUsage ??= new Map();
    withUsage.set(span.spanId, usage as TokenUsage);
  }
  if (withUsage === undefined) return null;
  const parentOf = new Map<string, string | null>();
  for (const span of spans) parentOf.set(span.spanId, span.parentId);
  const total: Record<string, number> = {};
  for (const [spanId, usage] of withUsage) {
    let ancestor = parentOf.get(spanId) ?? null;
    let covered = false;
    while (ancestor !== null) {
      if (withUsage.has(ancestor)) {
        covered = true;
        break;
      }
      ancestor = parentOf.get(ancestor) ?? null;
    }
    if (covered) continue;
    for (const key of KEYS) {
      const v = (usage as Record<string, unknown>)[key];
      if (typeof v === "number") total[key] = (total[key] ?? 0) + v;
    }
  }
  if (total.total_tokens === undefined && (total.input_tokens !== undefined || total.output_tokens !== undefined)) {
    total.total_tokens = (total.input_tokens ?? 0) + (total.output_tokens ?? 0);
  }
  return total as TokenUsage;
}
