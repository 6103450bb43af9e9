import { Assessment } from "../../entities/assessment.js";
import { Span } from "../../entities/span.js";
import { Trace } from "../../entities/trace.js";
import { TraceData } from "../../entities/trace-data.js";
import { TraceInfo, type TraceState } from "../../entities/trace-info.js";
import type { SerializedBatch, TraceRecord } from "./batch-writer.js";

const assessmentRecord = (a: Assessment): TraceRecord[10][number] => [
  a.assessmentId,
  a.spanId,
  a.name,
  a.type,
  a.source.sourceType,
  a.source.sourceId,
  a.createTime,
  a.valid ? 1 : 0,
  JSON.stringify(a.toDict()),
];

/**
 * Turns traces into the writer thread's input, the only work the app's thread does for the
 * embedded store: each span encoded once, as it is stored, and the rest as one small JSON string.
 */
export function serializeTraces(traces: readonly Trace[]): SerializedBatch {
  const records: TraceRecord[] = [];
  const contents: string[] = [];
  for (const t of traces) {
    const info = t.info;
    records.push([
      info.traceId,
      info.experimentId,
      info.clientRequestId,
      info.requestTime,
      info.executionDuration,
      info.state,
      info.requestPreview,
      info.responsePreview,
      info.tags,
      info.traceMetadata,
      info.assessments.map(assessmentRecord),
      t.data.spans.map((s) => {
        contents.push(JSON.stringify(s.toDict()));
        return [s.spanId, s.parentId, s.name, s.spanType, s.status.statusCode, s.startTimeNs, s.endTimeNs];
      }),
    ]);
  }
  return { records: JSON.stringify(records), contents };
}

/** One assessment as the writer's record (the manage path writes assessments itself). */
export const serializeAssessment = assessmentRecord;

/** The traces of a serialised batch, rebuilt (for the rare trace that must be merged). */
export function tracesFromBatch(batch: SerializedBatch): Trace[] {
  const records = JSON.parse(batch.records) as TraceRecord[];
  let next = 0;
  return records.map((r) => {
    const spans = r[11].map(() =>
      Span.fromDict(JSON.parse(batch.contents[next++] as string) as Record<string, unknown>),
    );
    const info = new TraceInfo({
      traceId: r[0],
      experimentId: r[1],
      clientRequestId: r[2],
      requestTime: r[3],
      executionDuration: r[4],
      state: r[5] as TraceState,
      requestPreview: r[6],
      responsePreview: r[7],
      tags: r[8],
      traceMetadata: r[9],
      assessments: r[10].map((a) => Assessment.fromDict(JSON.parse(a[8]) as Record<string, unknown>)),
    });
    return new Trace(info, new TraceData(spans));
  });
}
