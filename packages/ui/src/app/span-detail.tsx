import { useState } from "preact/hooks";
import type { AssessmentView, SpanView } from "../server/views.js";
import { formatDuration, spanTypeColor } from "./format.js";
import { JsonView } from "./json-view.js";
import { ChatTranscript, chatMessagesOf, DocumentCards, documentsOf, EmbeddingSummary } from "./renderers.js";

type Tab = "chat" | "documents" | "embedding" | "io" | "attributes" | "events" | "assessments";

function tabsFor(span: SpanView): Tab[] {
  const tabs: Tab[] = [];
  if (chatMessagesOf(span)) tabs.push("chat");
  if (span.spanType === "RETRIEVER" && documentsOf(span)) tabs.push("documents");
  if (span.spanType === "EMBEDDING") tabs.push("embedding");
  tabs.push("io", "attributes", "events", "assessments");
  return tabs;
}

const TAB_LABELS: Record<Tab, string> = {
  chat: "Chat",
  documents: "Documents",
  embedding: "Embedding",
  io: "Inputs / Outputs",
  attributes: "Attributes",
  events: "Events",
  assessments: "Assessments",
};

/** Attributes shown in their own tabs, left out of the attribute table. */
const SHOWN_ELSEWHERE = new Set(["mlflow.spanInputs", "mlflow.spanOutputs", "mlflow.chat.messages"]);

export function AssessmentList({ assessments }: { assessments: readonly AssessmentView[] }) {
  if (assessments.length === 0) return <div class="muted">No assessments.</div>;
  return (
    <ul class="assessments" data-testid="assessments">
      {assessments.map((a) => (
        <li key={a.assessmentId}>
          <span class={`badge badge-${a.type}`}>{a.type}</span> <b>{a.name}</b> = {valueText(a.value)}{" "}
          <span class="muted">
            ({a.source.type} {a.source.id})
          </span>
          {a.rationale && <div class="rationale">{a.rationale}</div>}
        </li>
      ))}
    </ul>
  );
}

function valueText(value: unknown): string {
  if (value === true) return "▲ thumbs up";
  if (value === false) return "▼ thumbs down";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Events({ span }: { span: SpanView }) {
  if (span.events.length === 0) return <div class="muted">No events.</div>;
  return (
    <div class="events">
      {span.events.map((e, i) => {
        const a = e.attributes;
        if (e.name === "exception") {
          return (
            <div key={i} class="event exception" data-testid="exception-event">
              <div>
                <b>{String(a["exception.type"] ?? "Exception")}</b>: {String(a["exception.message"] ?? "")}
              </div>
              {a["exception.stacktrace"] !== undefined && <pre class="stack">{String(a["exception.stacktrace"])}</pre>}
            </div>
          );
        }
        return (
          <div key={i} class="event">
            <b>{e.name}</b> <span class="muted">+{formatDuration((e.timeNs - span.startTimeNs) / 1e6)}</span>
            {Object.keys(a).length > 0 && <JsonView value={a} />}
          </div>
        );
      })}
    </div>
  );
}

/** Everything about one span: a tab per kind of content, opening on the type-specific one. */
export function SpanDetail({ span, assessments }: { span: SpanView; assessments: readonly AssessmentView[] }) {
  const tabs = tabsFor(span);
  // keyed by span id where it is used, so each span opens on its own first tab
  const [tab, setTab] = useState<Tab>(tabs[0] as Tab);
  const current = tabs.includes(tab) ? tab : (tabs[0] as Tab);
  const duration = span.endTimeNs === null ? null : (span.endTimeNs - span.startTimeNs) / 1e6;
  const attributes = Object.entries(span.attributes).filter(([k]) => !SHOWN_ELSEWHERE.has(k));
  const spanAssessments = assessments.filter((a) => a.spanId === span.spanId);
  return (
    <div class="span-detail" data-testid="span-detail" data-span-id={span.spanId}>
      <div class="detail-head">
        <h3>{span.name}</h3>
        <span class="type-badge" style={{ background: spanTypeColor(span.spanType) }}>
          {span.spanType}
        </span>
        <span class={`status status-${span.status.code}`}>{span.status.code}</span>
        <span class="muted">{formatDuration(duration)}</span>
      </div>
      {span.status.code === "ERROR" && span.status.message && <div class="error-banner">{span.status.message}</div>}
      <div class="tabs" role="tablist">
        {tabs.map((t) => (
          <button
            type="button"
            role="tab"
            key={t}
            aria-selected={t === current}
            class={t === current ? "tab active" : "tab"}
            onClick={() => setTab(t)}
          >
            {TAB_LABELS[t]}
            {t === "events" && span.events.length > 0 ? ` (${span.events.length})` : ""}
            {t === "assessments" && spanAssessments.length > 0 ? ` (${spanAssessments.length})` : ""}
          </button>
        ))}
      </div>
      <div class="tab-body">
        {current === "chat" && <ChatTranscript span={span} />}
        {current === "documents" && <DocumentCards span={span} />}
        {current === "embedding" && <EmbeddingSummary span={span} />}
        {current === "io" && (
          <div class="io">
            <h4>Inputs</h4>
            <JsonView value={span.inputs} testId="span-inputs" />
            <h4>Outputs</h4>
            <JsonView value={span.outputs} testId="span-outputs" />
          </div>
        )}
        {current === "attributes" && (
          <table class="attrs">
            <tbody>
              {attributes.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{v !== null && typeof v === "object" ? <JsonView value={v} /> : String(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {current === "events" && <Events span={span} />}
        {current === "assessments" && <AssessmentList assessments={spanAssessments} />}
      </div>
    </div>
  );
}
