import { useEffect, useMemo, useState } from "preact/hooks";
import type { TraceView as TraceData } from "../server/views.js";
import { getTrace } from "./api.js";
import { FeedbackForm } from "./feedback.js";
import { formatDuration, formatTime, spanTypeColor } from "./format.js";
import { AssessmentList, SpanDetail } from "./span-detail.js";
import { ancestorsOf, buildSpanTree, type TreeNode, visibleRows } from "./span-tree.js";
import { VirtualList } from "./virtual-list.js";

const ROW_HEIGHT = 28;

function TreeRow(props: {
  node: TreeNode;
  collapsed: boolean;
  selected: boolean;
  traceStart: number;
  traceSpan: number;
  onToggle: () => void;
  onSelect: () => void;
}) {
  const { span } = props.node;
  const end = span.endTimeNs ?? span.startTimeNs;
  const left = ((span.startTimeNs - props.traceStart) / props.traceSpan) * 100;
  const width = Math.max(0.3, ((end - span.startTimeNs) / props.traceSpan) * 100);
  const error = span.status.code === "ERROR";
  const color = spanTypeColor(span.spanType);
  return (
    // biome-ignore lint/a11y/useSemanticElements: the row holds its expand/collapse button, which a <button> cannot contain
    <div
      class={`tree-row${props.selected ? " selected" : ""}${error ? " error" : ""}`}
      role="button"
      tabIndex={0}
      aria-label={`Span ${span.name} (${span.spanType})`}
      aria-pressed={props.selected}
      onKeyDown={(e) => {
        if (e.key === "Enter") props.onSelect();
        else if (e.key === "ArrowRight" && props.collapsed) props.onToggle();
        else if (e.key === "ArrowLeft" && !props.collapsed && props.node.children.length > 0) props.onToggle();
      }}
      data-testid="span-row"
      data-span-name={span.name}
      data-span-type={span.spanType}
      onClick={props.onSelect}
    >
      <div class="tree-label" style={{ paddingLeft: `${props.node.depth * 16 + 4}px` }}>
        {props.node.children.length > 0 ? (
          <button
            type="button"
            class="twisty"
            aria-label={props.collapsed ? `Expand ${span.name}` : `Collapse ${span.name}`}
            aria-expanded={!props.collapsed}
            onClick={(e) => {
              e.stopPropagation();
              props.onToggle();
            }}
          >
            {props.collapsed ? "▸" : "▾"}
          </button>
        ) : (
          <span class="twisty-space" />
        )}
        {error && (
          <span class="error-mark" title={span.status.message}>
            !
          </span>
        )}
        <span class="span-name">{span.name}</span>
        <span class="type-badge small" style={{ background: color }}>
          {span.spanType}
        </span>
      </div>
      <div class="waterfall">
        <div
          class="bar"
          style={{ left: `${left}%`, width: `${width}%`, background: error ? "#dc2626" : color }}
          title={`${span.name}: ${formatDuration((end - span.startTimeNs) / 1e6)}`}
        />
        <span class="bar-label" style={{ left: `${Math.min(left + width, 85)}%` }}>
          {formatDuration((end - span.startTimeNs) / 1e6)}
        </span>
      </div>
    </div>
  );
}

/** One trace: header, span tree with a waterfall, the selected span's details, feedback. */
export function TraceView({
  traceId,
  spanId,
  onSelectSpan,
}: {
  traceId: string;
  spanId: string | null;
  onSelectSpan: (id: string) => void;
}) {
  const [trace, setTrace] = useState<TraceData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    getTrace(traceId)
      .then((t) => live && setTrace(t))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [traceId, version]);
  const roots = useMemo(() => (trace ? buildSpanTree(trace.spans) : []), [trace]);
  const rows = useMemo(() => visibleRows(roots, collapsed), [roots, collapsed]);
  // a loop, not Math.min(...spans): spreading a huge trace overflows the argument limit
  const timeRange = useMemo(() => {
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    for (const s of trace?.spans ?? []) {
      start = Math.min(start, s.startTimeNs);
      end = Math.max(end, s.endTimeNs ?? s.startTimeNs);
    }
    return { traceStart: start, traceSpan: Math.max(1, end - start) };
  }, [trace]);
  useEffect(() => {
    // a span chosen by link stays visible: open its ancestors
    if (!trace || !spanId) return;
    const up = ancestorsOf(trace.spans, spanId).filter((id) => collapsed.has(id));
    if (up.length > 0) setCollapsed((c) => new Set([...c].filter((id) => !up.includes(id))));
  }, [trace, spanId]);
  if (error)
    return (
      <div class="error-banner" role="alert">
        {error}
      </div>
    );
  if (!trace) return <div class="muted pad">Loading…</div>;
  const selected = trace.spans.find((s) => s.spanId === spanId) ?? roots[0]?.span ?? null;
  const { traceStart, traceSpan } = timeRange;
  const info = trace.info;
  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const traceAssessments = info.assessments.filter((a) => a.spanId === null);
  return (
    <div class="trace-view" data-testid="trace-view">
      <div class="trace-head">
        <a href="#/" class="back">
          ← Traces
        </a>
        <h2>{info.name || info.traceId}</h2>
        <span class={`status status-${info.state}`}>{info.state}</span>
        <span class="muted">{formatTime(info.requestTime)}</span>
        <span class="muted">{formatDuration(info.executionDuration)}</span>
        {info.tokens && (
          <span class="muted" data-testid="trace-tokens">
            tokens {info.tokens.input} in · {info.tokens.output} out · {info.tokens.total} total
          </span>
        )}
        <span class="muted mono">{info.traceId}</span>
        <span class="muted">{info.spanCount} spans</span>
        {Object.entries(info.tags).map(([k, v]) => (
          <span key={k} class="tag">
            {k}={v}
          </span>
        ))}
      </div>
      <div class="trace-assessments">
        <AssessmentList assessments={traceAssessments} />
        <FeedbackForm
          traceId={info.traceId}
          spanId={selected && selected.parentId !== null ? selected.spanId : null}
          spanName={selected?.name ?? ""}
          onSaved={() => setVersion((v) => v + 1)}
        />
      </div>
      <div class="trace-body">
        <div class="tree-pane">
          <div class="tree-toolbar">
            <button type="button" onClick={() => setCollapsed(new Set())}>
              Expand all
            </button>
            <button
              type="button"
              onClick={() => setCollapsed(new Set(trace.spans.filter((s) => s.parentId !== null).map((s) => s.spanId)))}
            >
              Collapse all
            </button>
          </div>
          <VirtualList
            items={rows}
            rowHeight={ROW_HEIGHT}
            testId="span-tree"
            scrollToIndex={selected ? rows.findIndex((r) => r.span.spanId === selected.spanId) : -1}
            renderRow={(node) => (
              <TreeRow
                node={node}
                collapsed={collapsed.has(node.span.spanId)}
                selected={node.span.spanId === selected?.spanId}
                traceStart={traceStart}
                traceSpan={traceSpan}
                onToggle={() => toggle(node.span.spanId)}
                onSelect={() => onSelectSpan(node.span.spanId)}
              />
            )}
          />
        </div>
        <div class="detail-pane">
          {selected && <SpanDetail key={selected.spanId} span={selected} assessments={info.assessments} />}
        </div>
      </div>
    </div>
  );
}
