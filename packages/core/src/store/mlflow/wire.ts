/**
 * MLflow 3 wire formats for traces, as MLflow's own clients send them (see
 * shared/research/mlflow-wire.md): TraceInfo v3 JSON and the `traces.json` span file.
 */
import { Assessment } from "../../entities/assessment.js";
import type { TraceInfo } from "../../entities/trace-info.js";

/** TraceInfo as StartTraceV3 takes it: RFC 3339 request time, protobuf Duration string. */
export function traceInfoToV3(info: TraceInfo, extraMetadata: Record<string, string> = {}): Record<string, unknown> {
  const v3: Record<string, unknown> = {
    trace_id: info.traceId,
    trace_location: {
      type: "MLFLOW_EXPERIMENT",
      mlflow_experiment: { experiment_id: info.experimentId },
    },
    request_time: new Date(info.requestTime).toISOString(),
    execution_duration: `${((info.executionDuration ?? 0) / 1000).toFixed(3)}s`,
    state: info.state,
    trace_metadata: { ...info.traceMetadata, ...extraMetadata },
    tags: { ...info.tags },
  };
  if (info.clientRequestId !== null) v3.client_request_id = info.clientRequestId.slice(0, 50);
  if (info.requestPreview !== null) v3.request_preview = info.requestPreview;
  if (info.responsePreview !== null) v3.response_preview = info.responsePreview;
  return v3;
}

/** An assessment as the create-assessment endpoint takes it (no id: the server assigns one). */
export function assessmentToV3(assessment: Assessment): Record<string, unknown> {
  const d = assessment.toDict();
  delete d.assessment_id;
  return d;
}

/** `mlflow-artifacts:/3/traces/tr-x/artifacts` → the proxy path of `traces.json` in it. */
export function tracesJsonPath(artifactLocation: string): string {
  const prefix = "mlflow-artifacts:";
  if (!artifactLocation.startsWith(prefix)) {
    throw new Error(
      `Unsupported trace artifact location "${artifactLocation}": only the server's artifact proxy (mlflow-artifacts:) is supported. Start the server with --serve-artifacts.`,
    );
  }
  const rest = artifactLocation.slice(prefix.length).replace(/^\/+/, "");
  return `/api/2.0/mlflow-artifacts/artifacts/${rest}/traces.json`;
}

export { Assessment };
