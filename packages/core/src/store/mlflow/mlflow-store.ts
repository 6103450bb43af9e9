import { TraceTagKey } from "../../constants.js";
import { Assessment } from "../../entities/assessment.js";
import { Trace } from "../../entities/trace.js";
import { TraceData } from "../../entities/trace-data.js";
import { TraceInfo } from "../../entities/trace-info.js";
import { TraceNotFoundError } from "../../errors.js";
import { toReadableSpan } from "../otlp/to-readable-span.js";
import type { DeleteTracesOptions, Experiment, SearchTracesOptions, TracePage, TraceStore } from "../trace-store.js";
import { type MlflowConnection, MlflowRestClient, MlflowRestError } from "./rest-client.js";
import { storedSpanToDict } from "./stored-spans.js";
import { assessmentToV3, traceInfoToV3, tracesJsonPath } from "./wire.js";

type V3Info = Record<string, unknown> & { tags?: Record<string, string> };

/** Tag the server sets when it holds a trace's spans in its database (from OTLP). */
const SPANS_LOCATION = "mlflow.trace.spansLocation";

/**
 * Traces on an MLflow tracking server, through its REST API as MLflow 3's own clients use it:
 * StartTraceV3 with the trace info, then the spans as `traces.json` through the artifact proxy;
 * reads, search, deletion, tags and assessments through the v3 trace endpoints. Traces logged
 * here open in MLflow's UI; traces logged by MLflow's clients load here.
 */
export class MlflowTraceStore implements TraceStore {
  private readonly client: MlflowRestClient;
  private readonly otlpIngest: boolean;

  constructor(connection: MlflowConnection) {
    this.client = new MlflowRestClient(connection);
    this.otlpIngest = connection.otlpIngest ?? false;
  }

  async logTraces(traces: Trace[]): Promise<void> {
    // one trace at a time, in order; a failure stops the batch so the caller can count it
    for (const trace of traces) await this.logTrace(trace);
  }

  private async logTrace(trace: Trace): Promise<void> {
    if (this.otlpIngest) {
      // MLflow >= 3.4: spans to the OTLP ingest endpoint, then the trace info, as its Python client does
      // loaded on first use: most processes never need the OTLP encoder
      const [{ ProtobufTraceSerializer }, { defaultResource }] = await Promise.all([
        import("@opentelemetry/otlp-transformer"),
        import("@opentelemetry/resources"),
      ]);
      const resource = defaultResource();
      const body = ProtobufTraceSerializer.serializeRequest(
        trace.data.spans.map((s) => toReadableSpan(s, trace, resource)),
      );
      await this.client.request("POST", "/v1/traces", {
        raw: body ?? new Uint8Array(),
        contentType: "application/x-protobuf",
        headers: { "x-mlflow-experiment-id": trace.info.experimentId },
      });
    }
    const created = await this.startTrace(trace);
    const location = created?.trace?.trace_info?.tags?.[TraceTagKey.ARTIFACT_LOCATION];
    if (!location) {
      throw new MlflowRestError(
        `The tracking server did not return an artifact location for trace ${trace.info.traceId}`,
        200,
        undefined,
      );
    }
    if (created.trace.trace_info.tags?.[SPANS_LOCATION] === "TRACKING_STORE") return;
    await this.client.request("PUT", tracesJsonPath(location), {
      raw: JSON.stringify(trace.data.toDict()),
      contentType: "application/json",
    });
  }

  /**
   * StartTraceV3. A trace the server already holds (an earlier attempt whose span upload failed,
   * or another process sharing the spool) is not done yet: its stored info tells where the spans
   * go, and the caller uploads them, so a trace counts as sent only once its spans are stored.
   */
  private async startTrace(trace: Trace): Promise<{ trace: { trace_info: V3Info } }> {
    try {
      return await this.client.request<{ trace: { trace_info: V3Info } }>("POST", "/api/3.0/mlflow/traces", {
        body: { trace: { trace_info: traceInfoToV3(trace.info) } },
      });
    } catch (e) {
      if (!(e instanceof MlflowRestError && e.errorCode === "RESOURCE_ALREADY_EXISTS")) throw e;
      return this.client.request<{ trace: { trace_info: V3Info } }>(
        "GET",
        `/api/3.0/mlflow/traces/${encodeURIComponent(trace.info.traceId)}`,
      );
    }
  }

  private async spansOf(info: V3Info): Promise<TraceData> {
    if (info.tags?.[SPANS_LOCATION] === "TRACKING_STORE") {
      const r = await this.client.request<{ trace?: { spans?: Array<Record<string, unknown>> } }>(
        "GET",
        "/api/3.0/mlflow/traces/get",
        { query: { trace_id: String(info.trace_id), allow_partial: "False" } },
      );
      return TraceData.fromDict({ spans: (r?.trace?.spans ?? []).map(storedSpanToDict) });
    }
    const location = info.tags?.[TraceTagKey.ARTIFACT_LOCATION];
    if (!location) return new TraceData([]);
    try {
      const data = await this.client.request<{ spans?: Array<Record<string, unknown>> } | string>(
        "GET",
        tracesJsonPath(location),
      );
      const parsed = typeof data === "string" ? (JSON.parse(data) as { spans?: [] }) : data;
      return TraceData.fromDict(parsed ?? {});
    } catch (e) {
      if (e instanceof MlflowRestError && e.status === 404) return new TraceData([]);
      throw e;
    }
  }

  async getTrace(traceId: string): Promise<Trace | null> {
    let info: V3Info;
    try {
      const r = await this.client.request<{ trace: { trace_info: V3Info } }>(
        "GET",
        `/api/3.0/mlflow/traces/${encodeURIComponent(traceId)}`,
      );
      info = r.trace.trace_info;
    } catch (e) {
      if (e instanceof MlflowRestError && e.status === 404) return null;
      throw e;
    }
    return new Trace(TraceInfo.fromDict(info), await this.spansOf(info));
  }

  async searchTraces(options: SearchTracesOptions): Promise<TracePage> {
    const body: Record<string, unknown> = {
      locations: (options.experimentIds ?? ["0"]).map((id) => ({
        type: "MLFLOW_EXPERIMENT",
        mlflow_experiment: { experiment_id: id },
      })),
      max_results: options.maxResults ?? 100,
      order_by: options.orderBy ?? ["timestamp_ms DESC"],
    };
    const filters = [options.filterString, options.runId ? `run_id = '${options.runId}'` : undefined]
      .filter((f): f is string => Boolean(f?.trim()))
      .join(" AND ");
    if (filters) body.filter = filters;
    if (options.pageToken) body.page_token = options.pageToken;
    const r = await this.client.request<{ traces?: V3Info[]; next_page_token?: string }>(
      "POST",
      "/api/3.0/mlflow/traces/search",
      { body },
    );
    const withSpans = options.includeSpans ?? true;
    const traces = await Promise.all(
      (r?.traces ?? []).map(
        async (info) => new Trace(TraceInfo.fromDict(info), withSpans ? await this.spansOf(info) : new TraceData([])),
      ),
    );
    return { traces, nextPageToken: r?.next_page_token ?? null };
  }

  async deleteTraces(options: DeleteTracesOptions): Promise<number> {
    const body: Record<string, unknown> = { experiment_id: options.experimentId };
    if (options.traceIds) body.request_ids = options.traceIds;
    if (options.maxTimestampMillis !== undefined) body.max_timestamp_millis = options.maxTimestampMillis;
    if (options.maxTraces !== undefined) body.max_traces = options.maxTraces;
    const r = await this.client.request<{ traces_deleted?: number }>("POST", "/api/2.0/mlflow/traces/delete-traces", {
      body,
    });
    return r?.traces_deleted ?? 0;
  }

  private async tagRequest(method: "PATCH" | "DELETE", traceId: string, body: unknown): Promise<void> {
    try {
      await this.client.request(method, `/api/2.0/mlflow/traces/${encodeURIComponent(traceId)}/tags`, { body });
    } catch (e) {
      if (e instanceof MlflowRestError && e.status === 404) throw new TraceNotFoundError(traceId, e.message);
      throw e;
    }
  }

  setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    return this.tagRequest("PATCH", traceId, { key, value });
  }

  deleteTraceTag(traceId: string, key: string): Promise<void> {
    return this.tagRequest("DELETE", traceId, { key });
  }

  async logAssessment(assessment: Assessment): Promise<Assessment> {
    try {
      const r = await this.client.request<{ assessment: Record<string, unknown> }>(
        "POST",
        `/api/3.0/mlflow/traces/${encodeURIComponent(assessment.traceId)}/assessments`,
        { body: { assessment: assessmentToV3(assessment) } },
      );
      return Assessment.fromDict(r.assessment);
    } catch (e) {
      if (e instanceof MlflowRestError && e.status === 404) throw new TraceNotFoundError(assessment.traceId, e.message);
      throw e;
    }
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const r = await this.client.request<{ experiment: { experiment_id: string; name: string } }>(
        "GET",
        "/api/2.0/mlflow/experiments/get-by-name",
        { query: { experiment_name: name } },
      );
      return { experimentId: String(r.experiment.experiment_id), name: r.experiment.name };
    } catch (e) {
      if (e instanceof MlflowRestError && e.status === 404) return null;
      throw e;
    }
  }

  /** Every active experiment (`experiments/search`, following pages). */
  async listExperiments(): Promise<Experiment[]> {
    const out: Experiment[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.client.request<{
        experiments?: Array<{ experiment_id: string; name: string }>;
        next_page_token?: string;
      }>("POST", "/api/2.0/mlflow/experiments/search", {
        body: { max_results: 1000, ...(pageToken ? { page_token: pageToken } : {}) },
      });
      for (const e of r?.experiments ?? []) out.push({ experimentId: String(e.experiment_id), name: e.name });
      pageToken = r?.next_page_token;
    } while (pageToken);
    return out;
  }

  async createExperiment(name: string): Promise<Experiment> {
    const r = await this.client.request<{ experiment_id: string }>("POST", "/api/2.0/mlflow/experiments/create", {
      body: { name },
    });
    return { experimentId: String(r.experiment_id), name };
  }
}
