import type { AssessmentView, TraceSummary, TraceView } from "../server/views.js";

/** An error answer of the JSON API, with the message to show the person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok) {
    throw new ApiError(res.status, body?.error?.code ?? "HTTP_ERROR", body?.error?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

export interface ListQuery {
  experiment?: string;
  filter?: string;
  order?: string;
  pageSize?: number;
  pageToken?: string;
}

export function listTraces(q: ListQuery): Promise<{ traces: TraceSummary[]; nextPageToken: string | null }> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") params.set(k, String(v));
  return call(`/api/traces?${params}`);
}

export function listExperiments(): Promise<{
  experiments: Array<{ experimentId: string; name: string; traceCount: number }>;
}> {
  return call("/api/experiments");
}

export function getTrace(traceId: string): Promise<TraceView> {
  return call(`/api/traces/${encodeURIComponent(traceId)}`);
}

export function sendFeedback(
  traceId: string,
  feedback: { value: boolean; rationale?: string; spanId?: string | null },
): Promise<{ assessment: AssessmentView }> {
  return call(`/api/traces/${encodeURIComponent(traceId)}/feedback`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(feedback),
  });
}
