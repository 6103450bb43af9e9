import { type Span, SpanAttributeKey, type Trace, TraceTagKey } from "@tracewright/core";
import { formatDuration, formatState, formatTime, formatTokens, paint, truncate } from "./style.js";

const TYPE_COLOURS: Record<string, Parameters<typeof paint>[0]> = {
  CHAT_MODEL: "magenta",
  LLM: "magenta",
  RETRIEVER: "cyan",
  EMBEDDING: "cyan",
  TOOL: "yellow",
  AGENT: "blue",
  CHAIN: "blue",
};

function spanLine(span: Span): string {
  const failed = span.status.statusCode === "ERROR";
  const icon = failed ? paint("red", "✗") : span.status.statusCode === "OK" ? paint("green", "✓") : "•";
  const duration = span.endTimeNs === null ? "running" : formatDuration((span.endTimeNs - span.startTimeNs) / 1e6);
  const type = paint(TYPE_COLOURS[span.spanType] ?? "gray", `[${span.spanType}]`);
  const usage = formatTokens(span.getAttribute(SpanAttributeKey.CHAT_USAGE) as Record<string, unknown> | undefined);
  const tokens = usage ? paint("gray", `  tokens ${usage}`) : "";
  return `${icon} ${failed ? paint("red", span.name) : span.name} ${type} ${paint("gray", duration)}${tokens}`;
}

function errorLines(span: Span): string[] {
  if (span.status.statusCode !== "ERROR") return [];
  const exception = span.events.find((e) => e.name === "exception");
  const message = exception
    ? `${String(exception.attributes["exception.type"])}: ${String(exception.attributes["exception.message"])}`
    : span.status.description;
  return message ? [paint("red", truncate(message, 160))] : [];
}

/** The span tree of a trace, with types, durations, status, token usage and errors. */
export function renderTraceTree(trace: Trace): string {
  const info = trace.info;
  const name = info.tags[TraceTagKey.TRACE_NAME] ?? trace.data.rootSpan?.name ?? "(unnamed)";
  const lines: string[] = [];
  lines.push(`${paint("bold", name)}  ${paint("gray", info.traceId)}`);
  const usage = formatTokens(info.tokenUsage as Record<string, unknown> | null);
  lines.push(
    `${formatState(info.state)}  ${formatDuration(info.executionDuration)}  started ${formatTime(info.requestTime)}  experiment ${info.experimentId}${usage ? `  tokens ${usage}` : ""}`,
  );
  const userTags = Object.entries(info.tags).filter(([k]) => !k.startsWith("mlflow."));
  if (userTags.length > 0) lines.push(paint("gray", `tags: ${userTags.map(([k, v]) => `${k}=${v}`).join(", ")}`));
  lines.push("");

  const children = new Map<string | null, Span[]>();
  const ids = new Set(trace.data.spans.map((s) => s.spanId));
  for (const s of trace.data.spans) {
    // a span whose parent is missing is shown at the top level rather than lost
    const parent = s.parentId !== null && ids.has(s.parentId) ? s.parentId : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.startTimeNs - b.startTimeNs);

  const walk = (span: Span, prefix: string, isLast: boolean, isRoot: boolean) => {
    const branch = isRoot ? "" : isLast ? "└─ " : "├─ ";
    lines.push(prefix + branch + spanLine(span));
    const childPrefix = isRoot ? "" : prefix + (isLast ? "   " : "│  ");
    const kids = children.get(span.spanId) ?? [];
    for (const err of errorLines(span)) lines.push(`${childPrefix}${kids.length > 0 ? "│  " : "   "}${err}`);
    kids.forEach((k, i) => {
      walk(k, childPrefix, i === kids.length - 1, false);
    });
  };
  for (const root of children.get(null) ?? []) walk(root, "", true, true);

  const assessments = trace.searchAssessments();
  if (assessments.length > 0) {
    lines.push("", paint("bold", "assessments"));
    for (const a of assessments) {
      const target = a.spanId ? ` on ${trace.searchSpans({ spanId: a.spanId })[0]?.name ?? a.spanId}` : "";
      lines.push(
        `  ${a.type} ${a.name} = ${JSON.stringify(a.value)}${target}  ${paint("gray", `(${a.source.sourceType} ${a.source.sourceId})`)}`,
      );
    }
  }
  return lines.join("\n");
}
