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
  let first: TokenUsage | undefined;
  let firstSpanId = "";
  let withUsage: Map<string, TokenUsage> | undefined;
  for (const span of spans) {
    if (span.rawAttribute(SpanAttributeKey.CHAT_USAGE) === undefined) continue;
    const usage = span.rawValue("usage") ?? span.getAttribute(SpanAttributeKey.CHAT_USAGE);
    if (!usage || typeof usage !== "object") continue;
    if (first === undefined) {
      first = usage as TokenUsage;
      firstSpanId = span.spanId;
      continue;
    }
    if (withUsage === undefined) withUsage = new Map([[firstSpanId, first]]);
    withUsage.set(span.spanId, usage as TokenUsage);
  }
  if (first === undefined) return null;
  const total: Record<string, number> = {};
  // one span with usage (a single model call, the common trace): nothing can cover it
  if (withUsage === undefined) addUsage(total, first);
  else {
    const parentOf = new Map<string, string | null>();
    for (const span of spans) parentOf.set(span.spanId, span.parentId);
    for (const [spanId, usage] of withUsage) {
      if (!coveredByAncestor(spanId, parentOf, withUsage)) addUsage(total, usage);
    }
  }
  if (total.total_tokens === undefined && (total.input_tokens !== undefined || total.output_tokens !== undefined)) {
    total.total_tokens = (total.input_tokens ?? 0) + (total.output_tokens ?? 0);
  }
  return total as TokenUsage;
}

function coveredByAncestor(
  spanId: string,
  parentOf: ReadonlyMap<string, string | null>,
  withUsage: ReadonlyMap<string, TokenUsage>,
): boolean {
  let ancestor = parentOf.get(spanId) ?? null;
  while (ancestor !== null) {
    if (withUsage.has(ancestor)) return true;
    ancestor = parentOf.get(ancestor) ?? null;
  }
  return false;
}

function addUsage(total: Record<string, number>, usage: TokenUsage): void {
  for (const key of KEYS) {
    const v = (usage as Record<string, unknown>)[key];
    if (typeof v === "number") total[key] = (total[key] ?? 0) + v;
  }
}
