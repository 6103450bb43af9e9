import type { TraceSummary } from "../server/views.js";
import { formatDuration, formatTime } from "./format.js";

/** One trace of the list: opens on click or Enter; its checkbox picks it for comparison. */
export function TraceRow(props: {
  trace: TraceSummary;
  picked: boolean;
  onOpen: (traceId: string) => void;
  onTogglePick: (traceId: string) => void;
}) {
  const t = props.trace;
  return (
    // biome-ignore lint/a11y/useSemanticElements: the row holds a checkbox, which a <button> cannot contain
    <div
      class="row trace-row"
      role="button"
      tabIndex={0}
      aria-label={`Open trace ${t.name || t.traceId}`}
      onKeyDown={(e) => {
        if (e.key === "Enter") props.onOpen(t.traceId);
      }}
      data-testid="trace-row"
      data-trace-id={t.traceId}
      onClick={() => props.onOpen(t.traceId)}
    >
      <div class="cell pick">
        <input
          type="checkbox"
          aria-label={`Pick ${t.name} for comparison`}
          checked={props.picked}
          onClick={(e) => e.stopPropagation()}
          onChange={() => props.onTogglePick(t.traceId)}
        />
      </div>
      <div class="cell name" title={t.traceId}>
        {t.name || t.traceId}
        {t.assessmentCount > 0 && <span class="count-badge">{t.assessmentCount}</span>}
      </div>
      <div class={`cell state status-${t.state}`}>{t.state}</div>
      <div class="cell start">{formatTime(t.requestTime)}</div>
      <div class="cell duration">{formatDuration(t.executionDuration)}</div>
      <div class="cell tokens">{t.tokens ? t.tokens.total : "—"}</div>
      <div class="cell tags">
        {Object.entries(t.tags).map(([k, v]) => (
          <span key={k} class="tag">
            {k}={v}
          </span>
        ))}
      </div>
      <div class="cell request" title={t.requestPreview ?? ""}>
        {t.requestPreview ?? ""}
      </div>
    </div>
  );
}
