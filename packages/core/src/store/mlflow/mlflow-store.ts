import { TraceMetadataKey, TraceTagKey } from "../../constants.js";
import { Assessment } from "../../entities/assessment.js";
import { Trace } from "../../entities/trace.js";
import { TraceData } from "../../entities/trace-data.js";
import { TraceInfo } from "../../entities/trace-info.js";
import { InvalidArgumentError, TraceNotFoundError } from "../../errors.js";
import { log } from "../../internal/log.js";
import { SourceMetadataKey, sourceMetadata } from "../../tracing/source-metadata.js";
import { toReadableSpan } from "../otlp/to-readable-span.js";
import type { DeleteTracesOptions, Experiment, SearchTracesOptions, TracePage, TraceStore } from "../trace-store.js";
import { isOtlpUnsupportedAnswer, markOtlpUnsupported, serverIngestsOtlp } from "./otlp-support.js";
import { type MlflowConnection, MlflowRestClient, MlflowRestError } from "./rest-client.js";
import { sizeMetadata, spanJsonOf, tracesJsonFrom } from "./size-stats.js";
import { storedSpanToDict } from "./stored-spans.js";
import { assessmentToV3, traceInfoToV3, tracesJsonPath } from "./wire.js";

type V3Info = Record<string, unknown> & { tags?: Record<string, string> };

/** Tag the server sets when it holds a trace's spans in its database (from OTLP). */
const SPANS_LOCATION = TraceMetadataKey.SPANS_LOCATION;

/** The most traces MLflow's server returns for one search request (it answers 400 above). */
export const MAX_SEARCH_PAGE = 500;

/**
 * A write to a trace the server does not hold: 404, or (tags and assessments on a SQL store) a
 * 400 carrying the database's foreign-key failure. Either way the trace is not there.
 */
function asTraceNotFound(e: unknown, traceId: string): unknown {
  if (!(e instanceof MlflowRestError)) return e;
  if (e.status === 404 || (e.status === 400 && /foreign key/i.test(e.message)))
    return new TraceNotFoundError(traceId, `Trace "${traceId}" not found on the tracking server (${e.message})`);
  return e;
}

/**
 * Traces on an MLflow tracking server, through its REST API as MLflow 3's own clients use it:
 * the spans to the OTLP ingest endpoint where the server has one (MLflow >= 3.4, asked once per
 * server), then StartTraceV3 with the trace info, and the spans as `traces.json` through the
 * artifact proxy unless the server already holds them;
 * reads, search, deletion, tags and assessments through the v3 trace endpoints. Traces logged
 * here open in MLflow's UI; traces logged by MLflow's clients load here.
 */
export class MlflowTraceStore implements TraceStore {
  private readonly client: MlflowRestClient;
  private readonly baseUrl: string;
  private readonly otlpIngest: boolean | "auto";

  constructor(connection: MlflowConnection) {
    this.client = new MlflowRestClient(connection);
    this.baseUrl = connection.baseUrl;
    this.otlpIngest = connection.otlpIngest ?? "auto";
  }

  async logTraces(traces: Trace[]): Promise<void> {
    // one trace at a time, in order; a failure stops the batch so the caller can count it
    for (const trace of traces) await this.logTrace(trace);
  }

  /** Whether this trace's spans go to `/v1/traces`: forced by the connection, else the server's answer. */
  private useOtlp(): Promise<boolean> | boolean {
    if (this.otlpIngest !== "auto") return this.otlpIngest;
    return serverIngestsOtlp(this.baseUrl, this.client);
  }

  private async logTrace(trace: Trace): Promise<void> {
    // the part of a distributed trace that another process started: its local root has a parent there
    const partial = trace.data.spans.length > 0 && trace.data.rootSpan === undefined;
    let spansStored = false;
    if (await this.useOtlp()) spansStored = await this.sendOtlp(trace);
    if (partial) {
      // As MLflow's Python client: the caller's process logs the trace info; this process only
      // adds its spans, which the server merges into the same trace.
      if (!spansStored) {
        log.warnOnce(
          "mlflow-partial-trace",
          `spans of trace ${trace.info.traceId} continue a trace of another process; without the server's OTLP ingest (MLflow >= 3.4) they cannot be merged into it and are not logged`,
        );
      }
      return;
    }
    const spanJson = spanJsonOf(trace);
    const created = await this.startTrace(trace, sizeMetadata(trace, spanJson));
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
      raw: tracesJsonFrom(spanJson),
      contentType: "application/json",
    });
  }

  /**
   * MLflow >= 3.4: the spans to the OTLP ingest endpoint, as its Python client does. Returns false
   * when the server turns out to have no such endpoint (404 / 501): remembered for the server, and
   * this trace goes as `traces.json` instead.
   */
  private async sendOtlp(trace: Trace): Promise<boolean> {
    // loaded on first use: most processes never need the OTLP encoder
    const [{ ProtobufTraceSerializer }, { defaultResource }] = await Promise.all([
      import("@opentelemetry/otlp-transformer"),
      import("@opentelemetry/resources"),
    ]);
    const resource = defaultResource();
    const body = ProtobufTraceSerializer.serializeRequest(
      trace.data.spans.map((s) => toReadableSpan(s, trace, resource)),
    );
    try {
      await this.client.request("POST", "/v1/traces", {
        raw: body ?? new Uint8Array(),
        contentType: "application/x-protobuf",
        headers: { "x-mlflow-experiment-id": trace.info.experimentId },
      });
      return true;
    } catch (e) {
      if (this.otlpIngest !== "auto" || !isOtlpUnsupportedAnswer(e)) throw e;
      log.debug(`${this.baseUrl} has no OTLP span ingest; uploading traces.json instead`, e);
      markOtlpUnsupported(this.baseUrl);
      return false;
    }
  }

  /**
   * StartTraceV3. A trace the server already holds (an earlier attempt whose span upload failed,
   * or another process sharing the spool) is not done yet: its stored info tells where the spans
   * go, and the caller uploads them, so a trace counts as sent only once its spans are stored.
   */
  private async startTrace(
    trace: Trace,
    extraMetadata: Record<string, string>,
  ): Promise<{ trace: { trace_info: V3Info } }> {
    try {
      return await this.client.request<{ trace: { trace_info: V3Info } }>("POST", "/api/3.0/mlflow/traces", {
        body: { trace: { trace_info: traceInfoToV3(trace.info, extraMetadata) } },
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

  /**
   * One search, paged as MLflow's Python client pages: the server answers at most
   * {@link MAX_SEARCH_PAGE} traces per request, so a larger `maxResults` is fetched in pages until
   * it is reached or the results end.
   */
  async searchTraces(options: SearchTracesOptions): Promise<TracePage> {
    const want = options.maxResults ?? 100;
    const infos: V3Info[] = [];
    let pageToken = options.pageToken;
    let nextPageToken: string | null = null;
    do {
      const page = await this.searchPage(options, Math.min(MAX_SEARCH_PAGE, want - infos.length), pageToken);
      const got = page.traces ?? [];
      infos.push(...got);
      nextPageToken = page.next_page_token || null;
      if (got.length === 0) break; // a token with an empty page would otherwise loop for ever
      pageToken = nextPageToken ?? undefined;
    } while (nextPageToken !== null && infos.length < want);
    const withSpans = options.includeSpans ?? true;
    const traces = await Promise.all(
      infos.map(
        async (info) => new Trace(TraceInfo.fromDict(info), withSpans ? await this.spansOf(info) : new TraceData([])),
      ),
    );
    return { traces, nextPageToken };
  }

  private async searchPage(
    options: SearchTracesOptions,
    maxResults: number,
    pageToken: string | undefined,
  ): Promise<{ traces?: V3Info[]; next_page_token?: string }> {
    const body: Record<string, unknown> = {
      locations: (options.experimentIds ?? ["0"]).map((id) => ({
        type: "MLFLOW_EXPERIMENT",
        mlflow_experiment: { experiment_id: id },
      })),
      max_results: maxResults,
      order_by: options.orderBy ?? ["timestamp_ms DESC"],
    };
    const filters = [options.filterString, options.runId ? runIdClause(options.runId) : undefined]
      .filter((f): f is string => Boolean(f?.trim()))
      .join(" AND ");
    if (filters) body.filter = filters;
    if (pageToken) body.page_token = pageToken;
    const r = await this.client.request<{ traces?: V3Info[]; next_page_token?: string }>(
      "POST",
      "/api/3.0/mlflow/traces/search",
      { body },
    );
    return r ?? {};
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
      throw asTraceNotFound(e, traceId);
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
      throw asTraceNotFound(e, assessment.traceId);
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

  /** The experiment with this id, or null when the server has none (`experiments/get`). */
  async getExperimentById(experimentId: string): Promise<Experiment | null> {
    try {
      const r = await this.client.request<{ experiment: { experiment_id: string; name: string } }>(
        "GET",
        "/api/2.0/mlflow/experiments/get",
        { query: { experiment_id: experimentId } },
      );
      return { experimentId: String(r.experiment.experiment_id), name: r.experiment.name };
    } catch (e) {
      // 404 for an unknown id; 400 INVALID_PARAMETER_VALUE for one that is not a number
      if (e instanceof MlflowRestError && (e.status === 404 || e.errorCode === "INVALID_PARAMETER_VALUE")) return null;
      throw e;
    }
  }

  /**
   * Creates the run on the server (`runs/create`) and returns the id the server gave it, so that
   * MLflow's `get_run(id)` and `search_traces(run_id=...)` find it. The run carries the tags
   * MLflow's Python client gives a run: its name, the user, the source.
   */
  async createRun(run: {
    runId: string;
    experimentId: string;
    name: string | null;
    startTime: number;
  }): Promise<string> {
    const source = sourceMetadata();
    const tags = Object.entries(source).map(([key, value]) => ({ key, value }));
    if (run.name !== null) tags.push({ key: "mlflow.runName", value: run.name });
    const r = await this.client.request<{ run: { info: { run_id?: string; run_uuid?: string } } }>(
      "POST",
      "/api/2.0/mlflow/runs/create",
      {
        body: {
          experiment_id: run.experimentId,
          user_id: source[SourceMetadataKey.USER],
          start_time: run.startTime,
          ...(run.name !== null ? { run_name: run.name } : {}),
          tags,
        },
      },
    );
    const id = r?.run?.info?.run_id ?? r?.run?.info?.run_uuid;
    if (!id) throw new MlflowRestError("The tracking server did not return a run id for runs/create", 200, undefined);
    return id;
  }

  /** Ends the run on the server (`runs/update` with its status and end time). */
  async endRun(runId: string, status: string, endTime: number): Promise<void> {
    await this.client.request("POST", "/api/2.0/mlflow/runs/update", {
      body: { run_id: runId, run_uuid: runId, status, end_time: endTime },
    });
  }

  async createExperiment(name: string): Promise<Experiment> {
    const r = await this.client.request<{ experiment_id: string }>("POST", "/api/2.0/mlflow/experiments/create", {
      body: { name },
    });
    return { experimentId: String(r.experiment_id), name };
  }
}

/**
 * The `run_id = …` clause for a search. MLflow's grammar has no escapes inside a string, so the
 * id is quoted with a quote it does not contain; pasting an id with a quote in it would change
 * the filter's meaning.
 */
function runIdClause(runId: string): string {
  if (!runId.includes("'")) return `run_id = '${runId}'`;
  if (!runId.includes('"')) return `run_id = "${runId}"`;
  throw new InvalidArgumentError(
    `runId ${JSON.stringify(runId)} holds both quote characters; MLflow's filters cannot express it.`,
  );
}
