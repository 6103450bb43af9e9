import { TraceMetadataKey } from "../constants.js";
import type { Span } from "../entities/span.js";
import { Trace } from "../entities/trace.js";
import { TraceData } from "../entities/trace-data.js";
import { TraceInfo, TraceState } from "../entities/trace-info.js";
import { aggregateTokenUsage } from "../tracing/token-usage.js";

/**
 * True when `incoming` is another part of the trace `stored` holds, not the same trace logged
 * again: a distributed trace's processes each log the spans they made, under one trace id, and
 * the parts must add up. A re-log (a retried delivery, say) carries every span already stored.
 */
export function isAnotherPart(stored: Trace, incoming: Trace): boolean {
  const incomingIds = new Set(incoming.data.spans.map((s) => s.spanId));
  return stored.data.spans.some((s) => !incomingIds.has(s.spanId));
}

const hasRoot = (t: Trace): boolean => t.data.spans.some((s) => s.parentId === null);
const endOf = (info: TraceInfo): number => info.requestTime + (info.executionDuration ?? 0);

/**
 * One trace from two parts of a distributed trace (W3C Trace Context across processes):
 * - spans: the union, by span id (a span in both comes from `incoming`), in start order;
 * - time: the earliest start, the latest end;
 * - the part holding the root span (the caller's, whose first span has no parent) decides what
 *   describes the whole trace: state, name, previews, client request id; tags and metadata are
 *   the union, its values winning on a clash;
 * - token usage is summed again over every span, as MLflow sums it (ancestors' totals not twice);
 * - assessments of both are kept.
 * Without a root in either part (the caller has not logged yet), the later part describes it and
 * an ERROR in either part makes the trace ERROR until the root arrives.
 */
export function mergeTraceParts(stored: Trace, incoming: Trace): Trace {
  const incomingIds = new Set(incoming.data.spans.map((s) => s.spanId));
  const spans: Span[] = [...stored.data.spans.filter((s) => !incomingIds.has(s.spanId)), ...incoming.data.spans].sort(
    (a, b) => a.startTimeNs - b.startTimeNs,
  );
  const incomingLeads = hasRoot(incoming) || !hasRoot(stored);
  const lead = incomingLeads ? incoming.info : stored.info;
  const other = incomingLeads ? stored.info : incoming.info;
  const requestTime = Math.min(stored.info.requestTime, incoming.info.requestTime);
  // the infos' ends are rounded to the millisecond; the spans' own ends keep the range covering them
  const lastSpanEndNs = spans.reduce((m, s) => Math.max(m, s.endTimeNs ?? s.startTimeNs), 0);
  const end = Math.max(endOf(stored.info), endOf(incoming.info), Math.ceil(lastSpanEndNs / 1e6));
  let state = lead.state;
  if (!hasRoot(stored) && !hasRoot(incoming) && (other.state === TraceState.ERROR || lead.state === TraceState.ERROR))
    state = TraceState.ERROR;
  const metadata = { ...other.traceMetadata, ...lead.traceMetadata };
  const usage = aggregateTokenUsage(spans);
  if (usage) metadata[TraceMetadataKey.TOKEN_USAGE] = JSON.stringify(usage);
  const assessmentIds = new Set(stored.info.assessments.map((a) => a.assessmentId));
  const info = new TraceInfo({
    traceId: stored.info.traceId,
    clientRequestId: lead.clientRequestId ?? other.clientRequestId,
    experimentId: stored.info.experimentId,
    requestTime,
    executionDuration: end - requestTime,
    state,
    requestPreview: lead.requestPreview ?? other.requestPreview,
    responsePreview: lead.responsePreview ?? other.responsePreview,
    tags: { ...other.tags, ...lead.tags },
    traceMetadata: metadata,
    assessments: [
      ...stored.info.assessments,
      ...incoming.info.assessments.filter((a) => !assessmentIds.has(a.assessmentId)),
    ],
  });
  return new Trace(info, new TraceData(spans));
}
