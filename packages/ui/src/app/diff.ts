import type { SpanView, TraceView } from "../server/views.js";

/** How a span of one trace compares with its counterpart in the other. */
export type SpanChange = "same" | "changed" | "added" | "removed";

export interface SpanDiffRow {
  /** The span's path of names from the root, with `#n` for repeated sibling names. */
  path: string;
  depth: number;
  change: SpanChange;
  /** What changed: span type, status, outputs. */
  details: string[];
  a: SpanView | null;
  b: SpanView | null;
  durationMsA: number | null;
  durationMsB: number | null;
  tokensA: number | null;
  tokensB: number | null;
}

export interface TraceDiff {
  rows: SpanDiffRow[];
  durationDeltaMs: number | null;
  tokenDelta: number | null;
  counts: Record<SpanChange, number>;
}

const durationMs = (s: SpanView | null) => (s && s.endTimeNs !== null ? (s.endTimeNs - s.startTimeNs) / 1e6 : null);

function spanTokens(s: SpanView | null): number | null {
  const usage = s?.attributes["mlflow.chat.tokenUsage"] as { total_tokens?: unknown } | undefined;
  return typeof usage?.total_tokens === "number" ? usage.total_tokens : null;
}

/** Spans keyed by their path; siblings with the same name are told apart by order of start. */
function byPath(spans: readonly SpanView[]): Map<string, { span: SpanView; depth: number }> {
  const children = new Map<string | null, SpanView[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const parent = s.parentId && ids.has(s.parentId) ? s.parentId : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  const out = new Map<string, { span: SpanView; depth: number }>();
  const stack: Array<{ parent: string | null; prefix: string; depth: number }> = [
    { parent: null, prefix: "", depth: 0 },
  ];
  while (stack.length > 0) {
    const { parent, prefix, depth } = stack.pop() as { parent: string | null; prefix: string; depth: number };
    const seen = new Map<string, number>();
    for (const s of (children.get(parent) ?? []).sort((x, y) => x.startTimeNs - y.startTimeNs)) {
      const n = (seen.get(s.name) ?? 0) + 1;
      seen.set(s.name, n);
      const path = `${prefix}${prefix ? " / " : ""}${s.name}${n > 1 ? ` #${n}` : ""}`;
      out.set(path, { span: s, depth });
      stack.push({ parent: s.spanId, prefix: path, depth: depth + 1 });
    }
  }
  return out;
}

function changesBetween(a: SpanView, b: SpanView): string[] {
  const details: string[] = [];
  if (a.spanType !== b.spanType) details.push(`type ${a.spanType} → ${b.spanType}`);
  if (a.status.code !== b.status.code) details.push(`status ${a.status.code} → ${b.status.code}`);
  if (JSON.stringify(a.outputs) !== JSON.stringify(b.outputs)) details.push("outputs differ");
  return details;
}

/**
 * Compares two traces span by span: spans are matched by their path of names, so the same
 * pipeline run twice lines up, and a step that only one run took shows as added or removed.
 */
export function diffTraces(a: TraceView, b: TraceView): TraceDiff {
  const left = byPath(a.spans);
  const right = byPath(b.spans);
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort((x, y) => {
    const ax = left.get(x)?.span.startTimeNs ?? Number.POSITIVE_INFINITY;
    const ay = left.get(y)?.span.startTimeNs ?? Number.POSITIVE_INFINITY;
    if (ax !== ay) return ax - ay;
    return (right.get(x)?.span.startTimeNs ?? 0) - (right.get(y)?.span.startTimeNs ?? 0);
  });
  const counts: Record<SpanChange, number> = { same: 0, changed: 0, added: 0, removed: 0 };
  const rows = paths.map((path): SpanDiffRow => {
    const l = left.get(path);
    const r = right.get(path);
    const details = l && r ? changesBetween(l.span, r.span) : [];
    const change: SpanChange = !l ? "added" : !r ? "removed" : details.length > 0 ? "changed" : "same";
    counts[change]++;
    return {
      path,
      depth: (l ?? r)?.depth ?? 0,
      change,
      details,
      a: l?.span ?? null,
      b: r?.span ?? null,
      durationMsA: durationMs(l?.span ?? null),
      durationMsB: durationMs(r?.span ?? null),
      tokensA: spanTokens(l?.span ?? null),
      tokensB: spanTokens(r?.span ?? null),
    };
  });
  const da = a.info.executionDuration;
  const db = b.info.executionDuration;
  const ta = a.info.tokens?.total;
  const tb = b.info.tokens?.total;
  return {
    rows,
    counts,
    durationDeltaMs: da !== null && db !== null ? db - da : null,
    tokenDelta: ta !== undefined && tb !== undefined ? tb - ta : null,
  };
}
