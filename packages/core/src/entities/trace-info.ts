import { DEFAULT_EXPERIMENT_ID, TraceMetadataKey } from "../constants.js";
import { brandClass } from "../internal/process-state.js";
import { Assessment } from "./assessment.js";

/** The state of a trace. */
export const TraceState = {
  OK: "OK",
  ERROR: "ERROR",
  IN_PROGRESS: "IN_PROGRESS",
  STATE_UNSPECIFIED: "STATE_UNSPECIFIED",
} as const;
export type TraceState = (typeof TraceState)[keyof typeof TraceState];

/** Where a trace is stored: an MLflow experiment. */
export interface TraceLocation {
  type: "MLFLOW_EXPERIMENT";
  mlflowExperiment: { experimentId: string };
}

/** Token counts, summed over a trace's spans or reported by one span. */
export interface TokenUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/** Fields of a {@link TraceInfo}. */
export interface TraceInfoInit {
  traceId: string;
  clientRequestId?: string | null;
  experimentId?: string;
  requestTime: number;
  executionDuration?: number | null;
  state?: TraceState;
  requestPreview?: string | null;
  responsePreview?: string | null;
  tags?: Record<string, string>;
  traceMetadata?: Record<string, string>;
  assessments?: Assessment[];
}

/** Metadata about a trace: ids, timing, state, previews, tags, metadata and assessments. */
export class TraceInfo {
  readonly traceId: string;
  clientRequestId: string | null;
  traceLocation: TraceLocation;
  /** Start, in milliseconds since the epoch. */
  requestTime: number;
  /** Duration in milliseconds; null while in progress. */
  executionDuration: number | null;
  state: TraceState;
  requestPreview: string | null;
  responsePreview: string | null;
  /** Mutable after the trace is logged (`setTraceTag` / `deleteTraceTag`). */
  tags: Record<string, string>;
  /** Set while the trace runs; immutable once logged. */
  traceMetadata: Record<string, string>;
  assessments: Assessment[];

  constructor(init: TraceInfoInit) {
    this.traceId = init.traceId;
    this.clientRequestId = init.clientRequestId ?? null;
    this.traceLocation = {
      type: "MLFLOW_EXPERIMENT",
      mlflowExperiment: { experimentId: init.experimentId ?? DEFAULT_EXPERIMENT_ID },
    };
    this.requestTime = init.requestTime;
    this.executionDuration = init.executionDuration ?? null;
    this.state = init.state ?? TraceState.IN_PROGRESS;
    this.requestPreview = init.requestPreview ?? null;
    this.responsePreview = init.responsePreview ?? null;
    this.tags = init.tags ?? {};
    this.traceMetadata = init.traceMetadata ?? {};
    this.assessments = init.assessments ?? [];
  }

  /** Alias of {@link TraceInfo.traceId} (MLflow 2 naming). */
  get requestId(): string {
    return this.traceId;
  }
  /** Alias of {@link TraceInfo.requestTime}. */
  get timestampMs(): number {
    return this.requestTime;
  }
  /** Alias of {@link TraceInfo.executionDuration}. */
  get executionTimeMs(): number | null {
    return this.executionDuration;
  }
  get experimentId(): string {
    return this.traceLocation.mlflowExperiment.experimentId;
  }
  /** Deprecated alias of {@link TraceInfo.traceMetadata}. */
  get requestMetadata(): Record<string, string> {
    return this.traceMetadata;
  }
  /** Deprecated alias of {@link TraceInfo.state}. */
  get status(): TraceState {
    return this.state;
  }
  /** Token usage summed over the trace's spans, or null when no span reported any. */
  get tokenUsage(): TokenUsage | null {
    const raw = this.traceMetadata[TraceMetadataKey.TOKEN_USAGE];
    if (!raw) return null;
    try {
      return JSON.parse(raw) as TokenUsage;
    } catch {
      return null;
    }
  }

  /** MLflow's TraceInfo dict (`TraceInfo.to_dict()`). */
  toDict(): Record<string, unknown> {
    const d: Record<string, unknown> = {
      trace_id: this.traceId,
      trace_location: {
        type: this.traceLocation.type,
        mlflow_experiment: { experiment_id: this.traceLocation.mlflowExperiment.experimentId },
      },
      request_time: new Date(this.requestTime).toISOString(),
      state: this.state,
      trace_metadata: { ...this.traceMetadata },
      tags: { ...this.tags },
    };
    if (this.clientRequestId !== null) d.client_request_id = this.clientRequestId;
    if (this.requestPreview !== null) d.request_preview = this.requestPreview;
    if (this.responsePreview !== null) d.response_preview = this.responsePreview;
    if (this.executionDuration !== null) d.execution_duration_ms = this.executionDuration;
    d.assessments = this.assessments.map((a) => a.toDict());
    return d;
  }

  /** Reads MLflow's TraceInfo dict, including the REST form (`execution_duration: "0.25s"`). */
  static fromDict(d: Record<string, unknown>): TraceInfo {
    const location = d.trace_location as { mlflow_experiment?: { experiment_id?: string } } | undefined;
    const experimentId = location?.mlflow_experiment?.experiment_id ?? (d.experiment_id as string | undefined);
    const traceId = String(d.trace_id ?? d.request_id);
    const assessments = ((d.assessments ?? []) as Array<Record<string, unknown>>).map((a) => Assessment.fromDict(a));
    return new TraceInfo({
      traceId,
      clientRequestId: (d.client_request_id as string | undefined) ?? null,
      ...(experimentId !== undefined ? { experimentId: String(experimentId) } : {}),
      requestTime: parseRequestTime(d.request_time ?? d.timestamp_ms),
      executionDuration: parseDuration(d.execution_duration_ms ?? d.execution_duration ?? d.execution_time_ms),
      state: String(d.state ?? d.status ?? TraceState.STATE_UNSPECIFIED) as TraceState,
      requestPreview: (d.request_preview as string | undefined) ?? null,
      responsePreview: (d.response_preview as string | undefined) ?? null,
      tags: { ...((d.tags ?? {}) as Record<string, string>) },
      traceMetadata: { ...((d.trace_metadata ?? d.request_metadata ?? {}) as Record<string, string>) },
      assessments,
    });
  }
}

function parseRequestTime(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (/^\d+$/.test(v)) return Number(v);
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  return 0;
}

/** Accepts milliseconds, or a protobuf Duration string such as `"0.250s"`. */
function parseDuration(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return v;
  const s = String(v);
  if (s.endsWith("s")) return Math.round(Number.parseFloat(s.slice(0, -1)) * 1000);
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

// `instanceof` recognises instances made by another copy of core loaded in the same process.
brandClass(TraceInfo, "TraceInfo");
