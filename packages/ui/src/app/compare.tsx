import { useEffect, useState } from "preact/hooks";
import type { TraceView } from "../server/views.js";
import { getTrace } from "./api.js";
import { diffTraces } from "./diff.js";
import { formatDelta, formatDuration } from "./format.js";

const tokensText = (n: number) => `${n} tokens`;

/** Two traces side by side: the span tree diff with latency and token deltas. */
export function CompareView({ a, b }: { a: string; b: string }) {
  const [traces, setTraces] = useState<[TraceView, TraceView] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([getTrace(a), getTrace(b)])
      .then(setTraces)
      .catch((e: Error) => setError(e.message));
  }, [a, b]);
  if (error)
    return (
      <div class="error-banner" role="alert">
        {error}
      </div>
    );
  if (!traces) return <div class="muted pad">Loading…</div>;
  const [left, right] = traces;
  const diff = diffTraces(left, right);
  return (
    <div class="compare" data-testid="compare-view">
      <div class="trace-head">
        <a href="#/" class="back">
          ← Traces
        </a>
        <h2>Compare</h2>
        <a href={`#/trace/${encodeURIComponent(a)}`}>A: {left.info.name || a}</a>
        <a href={`#/trace/${encodeURIComponent(b)}`}>B: {right.info.name || b}</a>
        <span data-testid="compare-summary">
          latency {formatDelta(diff.durationDeltaMs, formatDuration)} · {formatDelta(diff.tokenDelta, tokensText)} ·{" "}
          {diff.counts.added} added · {diff.counts.removed} removed · {diff.counts.changed} changed · {diff.counts.same}{" "}
          same
        </span>
      </div>
      <table class="diff">
        <thead>
          <tr>
            <th>span</th>
            <th>change</th>
            <th>A duration</th>
            <th>B duration</th>
            <th>Δ latency</th>
            <th>A tokens</th>
            <th>B tokens</th>
            <th>Δ tokens</th>
          </tr>
        </thead>
        <tbody>
          {diff.rows.map((r) => (
            <tr key={r.path} class={`diff-${r.change}`} data-testid="diff-row" data-change={r.change}>
              <td style={{ paddingLeft: `${r.depth * 16 + 6}px` }}>{(r.a ?? r.b)?.name}</td>
              <td>
                {r.change}
                {r.details.length > 0 && <span class="muted"> ({r.details.join(", ")})</span>}
              </td>
              <td>{formatDuration(r.durationMsA)}</td>
              <td>{formatDuration(r.durationMsB)}</td>
              <td>
                {r.durationMsA !== null && r.durationMsB !== null
                  ? formatDelta(r.durationMsB - r.durationMsA, formatDuration)
                  : "—"}
              </td>
              <td>{r.tokensA ?? "—"}</td>
              <td>{r.tokensB ?? "—"}</td>
              <td>{r.tokensA !== null && r.tokensB !== null ? formatDelta(r.tokensB - r.tokensA, String) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
