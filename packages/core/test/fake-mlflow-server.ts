/**
 * A loopback stand-in for an MLflow 3.11 tracking server: the trace endpoints MLflow's clients
 * use, with the request validation and answers captured in shared/research/mlflow-wire.md.
 * Test-side only; every request is recorded for assertions.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

type ProtoType = {
  decode(buf: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
};
/** OTLP's protobuf schema (an older @opentelemetry/otlp-transformer ships it compiled). */
const { ExportTraceServiceRequest } = (
  createRequire(import.meta.url)("otlp-proto-decoder/build/src/generated/root") as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } };
  }
).opentelemetry.proto.collector.trace.v1;

/** `traceId` → `trace_id`, recursively: the form the server's `/traces/get` answers with. */
function snakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCase(v)]),
  );
}

/** One OTLP span as the server stores and returns it. */
export type StoredSpan = Record<string, unknown> & {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  name: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  status?: { code?: string | number };
};

/** The OTLP spans of a request body, protobuf or OTLP-JSON, with base64 ids. */
export function decodeOtlpSpans(body: Buffer, contentType: string): StoredSpan[] {
  const request = (
    contentType === "application/json"
      ? JSON.parse(body.toString("utf8"))
      : ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), {
          longs: String,
          bytes: String,
          enums: String,
        })
  ) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }> };
  const out: StoredSpan[] = [];
  for (const rs of request.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) out.push(snakeCase(span) as StoredSpan);
  if (contentType === "application/json") {
    // OTLP-JSON writes ids in hex; the server keeps (and answers with) their bytes, base64 in JSON
    const b64 = (hex: unknown) => (typeof hex === "string" && hex ? Buffer.from(hex, "hex").toString("base64") : hex);
    for (const s of out)
      Object.assign(s, { trace_id: b64(s.trace_id), span_id: b64(s.span_id), parent_span_id: b64(s.parent_span_id) });
  }
  return out;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Info = Record<string, unknown> & {
  trace_id: string;
  tags: Record<string, string>;
  trace_metadata: Record<string, string>;
};

const TRACE_ID = /^tr-[0-9a-f]{32}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DURATION = /^\d+(\.\d+)?s$/;

/** A failure to inject into the next StartTraceV3 request (or, through `routeFaults`, any route). */
export type Fault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { reset: true }
  | { delayMs: number }
  /** A 200 whose body is cut short: `raw` sent as the whole (well-framed) body. */
  | { truncatedBody: string }
  /** Headers announce more bytes than are sent, then the connection closes mid-body. */
  | { cutConnection: string };

/** A fault for requests whose method and path (without query) match. */
export interface RouteFault {
  method: string;
  path: string | RegExp;
  fault: Fault;
}

export class FakeMlflowServer {
  readonly requests: Array<RecordedRequest & { at: number }> = [];
  /** Consumed one per StartTraceV3 request, before the normal answer. */
  readonly faults: Fault[] = [];
  /** Consumed one per matching request, before `faults` and the normal answer. */
  readonly routeFaults: RouteFault[] = [];
  /** When set, every request matching is answered with this fault (not consumed) until cleared. */
  sticky: RouteFault | undefined;
  /**
   * When true, a StartTraceV3 for a trace id the server already holds is answered 400
   * RESOURCE_ALREADY_EXISTS (what QA saw on a retried StartTrace), instead of being merged.
   */
  rejectDuplicateTraces = false;
  /** While true, every connection is reset (the server looks down). */
  down = false;
  readonly experiments = new Map<string, string>([["Default", "0"]]);
  readonly infos = new Map<string, Info>();
  readonly artifacts = new Map<string, string>();
  /** OTLP payloads received on /v1/traces, with their experiment header. */
  readonly otlp: Array<{ experimentId: string; body: Buffer }> = [];
  /** Spans held "in the database" (as /traces/get returns them), by trace id. */
  readonly storedSpans = new Map<string, unknown[]>();
  /** What `GET /version` answers; null: the server has no such endpoint (404). */
  version: string | null = "3.11.2.dev0";
  /** False: an MLflow older than 3.4, with no OTLP ingest (`/v1/traces` answers 404). */
  otlpSupported = true;
  /** Runs created through `runs/create`, by id. */
  readonly runs = new Map<string, Record<string, unknown>>();
  private server: Server | undefined;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (this.down) {
        req.socket.destroy();
        return;
      }
      let body = "";
      const raw: Buffer[] = [];
      req.on("data", (d: Buffer) => {
        raw.push(d);
        body += d;
      });
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://x");
        const send = (status: number, payload: unknown, type = "application/json") => {
          res.writeHead(status, { "content-type": type });
          res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
        };
        const notFound = (message: string) =>
          send(404, {
            error_code: "RESOURCE_DOES_NOT_EXIST",
            message,
            sqlstate: "KAM00",
            error_class: "RESOURCE_NOT_FOUND",
          });
        this.requests.push({
          method: req.method ?? "",
          path: url.pathname + url.search,
          headers: req.headers,
          body,
          at: Date.now(),
        });
        const matches = (f: RouteFault) =>
          f.method === req.method && (typeof f.path === "string" ? f.path === url.pathname : f.path.test(url.pathname));
        const routed = this.sticky && matches(this.sticky) ? this.sticky : undefined;
        const index = routed ? -1 : this.routeFaults.findIndex(matches);
        const chosen = routed ?? (index >= 0 ? this.routeFaults.splice(index, 1)[0] : undefined);
        if (
          chosen &&
          this.inject(chosen.fault, req, res, () => this.route(req.method ?? "", url, body, send, notFound))
        )
          return;
        if (req.method === "GET" && url.pathname === "/version") {
          if (this.version === null) send(404, { detail: "Not Found" });
          else send(200, this.version, "text/plain; charset=utf-8");
          return;
        }
        if (req.method === "POST" && url.pathname === "/v1/traces") {
          if (!this.otlpSupported) {
            send(404, "<!doctype html><title>404 Not Found</title>", "text/html");
            return;
          }
          const experiment = req.headers["x-mlflow-experiment-id"];
          if (!experiment) {
            send(422, {
              detail: [{ type: "missing", loc: ["header", "x-mlflow-experiment-id"], msg: "Field required" }],
            });
            return;
          }
          const type = String(req.headers["content-type"]);
          if (type !== "application/x-protobuf" && type !== "application/json") {
            send(400, { detail: `Unsupported Content-Type: ${type}` });
            return;
          }
          this.otlp.push({ experimentId: String(experiment), body: Buffer.concat(raw) });
          try {
            this.ingestSpans(String(experiment), decodeOtlpSpans(Buffer.concat(raw), type));
          } catch (e) {
            send(400, { detail: `Invalid OTLP payload: ${(e as Error).message}` });
            return;
          }
          send(200, "", "application/x-protobuf");
          return;
        }
        if (req.method === "POST" && url.pathname === "/api/3.0/mlflow/traces" && this.faults.length > 0) {
          const fault = this.faults.shift() as Fault;
          this.inject(fault, req, res, () => this.route(req.method ?? "", url, body, send, notFound));
          return;
        }
        try {
          this.route(req.method ?? "", url, body, send, notFound);
        } catch (e) {
          send(400, { error_code: "INVALID_PARAMETER_VALUE", message: (e as Error).message });
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Applies a fault; false when the request should go on to the normal answer. */
  private inject(
    fault: Fault,
    req: IncomingMessage,
    res: import("node:http").ServerResponse,
    normal: () => unknown,
  ): boolean {
    if ("reset" in fault) {
      req.socket.destroy();
      return true;
    }
    if ("delayMs" in fault) {
      setTimeout(() => {
        if (!res.destroyed) normal();
      }, fault.delayMs);
      return true;
    }
    if ("truncatedBody" in fault) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(fault.truncatedBody);
      return true;
    }
    if ("cutConnection" in fault) {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(fault.cutConnection) + 100),
      });
      res.write(fault.cutConnection, () => req.socket.destroy());
      return true;
    }
    res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
    res.end(JSON.stringify(fault.body ?? { error_code: "INTERNAL_ERROR", message: "injected failure" }));
    return true;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Seeds a trace as MLflow's Python client would have logged it. */
  seed(info: Info, tracesJson: string): void {
    const experimentId = (info.trace_location as { mlflow_experiment: { experiment_id: string } }).mlflow_experiment
      .experiment_id;
    const location = `mlflow-artifacts:/${experimentId}/traces/${info.trace_id}/artifacts`;
    info.tags["mlflow.artifactLocation"] = location;
    this.infos.set(info.trace_id, info);
    this.artifacts.set(
      `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/traces/${info.trace_id}/artifacts/traces.json`,
      tracesJson,
    );
  }

  /**
   * What the server does with OTLP spans: stores them by trace (the spans of several processes in
   * one trace add up, a span sent again replaces itself), creating the trace info when the trace
   * is new and widening its time range while no StartTraceV3 has finalised it.
   */
  private ingestSpans(experimentId: string, spans: StoredSpan[]): void {
    for (const span of spans) {
      const traceId = `tr-${Buffer.from(span.trace_id, "base64").toString("hex")}`;
      const held = (this.storedSpans.get(traceId) ?? []) as StoredSpan[];
      this.storedSpans.set(traceId, [...held.filter((s) => s.span_id !== span.span_id), span]);
      const all = this.storedSpans.get(traceId) as StoredSpan[];
      const startNs = all.reduce(
        (m, s) => (BigInt(s.start_time_unix_nano) < m ? BigInt(s.start_time_unix_nano) : m),
        BigInt(all[0]!.start_time_unix_nano),
      );
      const endNs = all.reduce((m, s) => (BigInt(s.end_time_unix_nano) > m ? BigInt(s.end_time_unix_nano) : m), 0n);
      const existing = this.infos.get(traceId);
      if (existing?.trace_metadata["mlflow.trace.infoFinalized"] === "true") continue;
      const root = all.find((s) => !s.parent_span_id);
      this.infos.set(traceId, {
        ...(existing ?? {}),
        trace_id: traceId,
        trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
        request_time: new Date(Number(startNs / 1_000_000n)).toISOString(),
        execution_duration: `${(Number(endNs - startNs) / 1e9).toFixed(3)}s`,
        state: root?.status?.code === "STATUS_CODE_ERROR" ? "ERROR" : "OK",
        trace_metadata: { ...(existing?.trace_metadata ?? {}) },
        tags: {
          ...(existing?.tags ?? {}),
          ...(root ? { "mlflow.traceName": root.name } : {}),
          "mlflow.trace.spansLocation": "TRACKING_STORE",
          "mlflow.artifactLocation": `mlflow-artifacts:/${experimentId}/traces/${traceId}/artifacts`,
        },
      });
    }
  }

  private route(
    method: string,
    url: URL,
    body: string,
    send: (status: number, payload: unknown, type?: string) => void,
    notFound: (m: string) => void,
  ): unknown {
    const path = url.pathname;
    const json = () => JSON.parse(body) as Record<string, unknown>;
    if (method === "GET" && path === "/api/2.0/mlflow/experiments/get-by-name") {
      const name = url.searchParams.get("experiment_name") ?? "";
      const id = this.experiments.get(name);
      return id
        ? send(200, { experiment: { experiment_id: id, name } })
        : notFound(`Could not find experiment with name '${name}'`);
    }
    if (method === "POST" && path === "/api/2.0/mlflow/experiments/search") {
      return send(200, {
        experiments: [...this.experiments].map(([name, experiment_id]) => ({ experiment_id, name })),
      });
    }
    if (method === "GET" && path === "/api/2.0/mlflow/experiments/get") {
      const id = url.searchParams.get("experiment_id") ?? "";
      if (!/^\d+$/.test(id))
        return send(400, { error_code: "INVALID_PARAMETER_VALUE", message: `Invalid experiment id '${id}'` });
      const name = [...this.experiments].find(([, eid]) => eid === id)?.[0];
      return name === undefined
        ? notFound(`No Experiment with id=${id} exists`)
        : send(200, { experiment: { experiment_id: id, name, lifecycle_stage: "active" } });
    }
    if (method === "POST" && path === "/api/2.0/mlflow/runs/create") {
      const b = json();
      const experimentId = String(b.experiment_id);
      if (![...this.experiments.values()].includes(experimentId))
        return notFound(`No Experiment with id=${experimentId} exists`);
      const runId = Buffer.from(`run-${this.runs.size}-${Date.now()}`).toString("hex").slice(0, 32).padEnd(32, "0");
      const info = {
        run_id: runId,
        run_uuid: runId,
        experiment_id: experimentId,
        run_name: b.run_name ?? "",
        user_id: b.user_id ?? "",
        status: "RUNNING",
        start_time: b.start_time,
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        lifecycle_stage: "active",
      };
      const run = { info, data: { tags: b.tags ?? [] } };
      this.runs.set(runId, run);
      return send(200, { run });
    }
    if (method === "POST" && path === "/api/2.0/mlflow/runs/update") {
      const b = json();
      const run = this.runs.get(String(b.run_id));
      if (!run) return notFound(`Run with id=${String(b.run_id)} not found`);
      const info = run.info as Record<string, unknown>;
      info.status = b.status;
      info.end_time = b.end_time;
      return send(200, { run_info: info });
    }
    if (method === "GET" && path === "/api/2.0/mlflow/runs/get") {
      const run = this.runs.get(url.searchParams.get("run_id") ?? "");
      return run ? send(200, { run }) : notFound(`Run with id=${url.searchParams.get("run_id")} not found`);
    }
    if (method === "POST" && path === "/api/2.0/mlflow/experiments/create") {
      const name = String(json().name);
      const id = String(this.experiments.size + 10);
      this.experiments.set(name, id);
      return send(200, { experiment_id: id });
    }
    if (method === "POST" && path === "/api/3.0/mlflow/traces") {
      const info = (json().trace as { trace_info: Info }).trace_info;
      if (!TRACE_ID.test(info.trace_id)) throw new Error(`trace_id ${info.trace_id} is not tr-<32 hex>`);
      if (!RFC3339.test(String(info.request_time)))
        throw new Error(`request_time ${String(info.request_time)} is not RFC 3339`);
      if (!DURATION.test(String(info.execution_duration))) throw new Error("execution_duration is not a Duration");
      if (!["OK", "ERROR", "IN_PROGRESS"].includes(String(info.state))) throw new Error("bad state");
      for (const map of [info.tags, info.trace_metadata]) {
        for (const v of Object.values(map))
          if (typeof v !== "string") throw new Error("tags and metadata must be strings");
      }
      const experimentId = (info.trace_location as { mlflow_experiment: { experiment_id: string } }).mlflow_experiment
        .experiment_id;
      if (![...this.experiments.values()].includes(experimentId))
        return notFound(`No Experiment with id=${experimentId} exists`);
      if (this.rejectDuplicateTraces && this.infos.has(info.trace_id))
        return send(400, {
          error_code: "RESOURCE_ALREADY_EXISTS",
          message: `Trace with ID ${info.trace_id} already exists.`,
        });
      const spansInDb = this.storedSpans.has(info.trace_id);
      const created = this.infos.get(info.trace_id);
      const stored: Info = {
        ...info,
        tags: {
          // tags the server gave a trace it created from OTLP spans stay
          ...(created?.tags ?? {}),
          ...info.tags,
          "mlflow.artifactLocation": `mlflow-artifacts:/${experimentId}/traces/${info.trace_id}/artifacts`,
          ...(spansInDb ? { "mlflow.trace.spansLocation": "TRACKING_STORE" } : {}),
        },
        trace_metadata: { ...info.trace_metadata, "mlflow.trace.infoFinalized": "true" },
      };
      this.infos.set(info.trace_id, stored);
      return send(200, { trace: { trace_info: stored } });
    }
    if (path.startsWith("/api/2.0/mlflow-artifacts/artifacts/") && path.endsWith("/traces.json")) {
      if (method === "PUT") {
        JSON.parse(body);
        this.artifacts.set(path, body);
        return send(200, {});
      }
      const text = this.artifacts.get(path);
      return text === undefined ? notFound("artifact not found") : send(200, text, "text/plain");
    }
    if (method === "POST" && path === "/api/3.0/mlflow/traces/search") {
      const b = json();
      const experiments = (b.locations as Array<{ mlflow_experiment: { experiment_id: string } }>).map(
        (l) => l.mlflow_experiment.experiment_id,
      );
      const size = Number(b.max_results ?? 100);
      if (size > 500)
        return send(400, {
          error_code: "INVALID_PARAMETER_VALUE",
          message: `Invalid value ${size} for parameter 'max_results' supplied. It must be at most 500.`,
        });
      const filter = String(b.filter ?? "");
      const tag = /^tags\.(\w+) = '([^']*)'$/.exec(filter);
      const runId = /^run_id = '([^']*)'$/.exec(filter);
      // only spans the server holds in its database are searchable, as on a real server
      const spanName = /^span\.name = '([^']*)'$/.exec(filter);
      let all = [...this.infos.values()].filter((i) =>
        experiments.includes(
          (i.trace_location as { mlflow_experiment: { experiment_id: string } }).mlflow_experiment.experiment_id,
        ),
      );
      if (tag) all = all.filter((i) => i.tags[tag[1] as string] === tag[2]);
      if (runId) all = all.filter((i) => i.trace_metadata["mlflow.sourceRun"] === runId[1]);
      if (spanName)
        all = all.filter((i) =>
          ((this.storedSpans.get(i.trace_id) ?? []) as StoredSpan[]).some((s) => s.name === spanName[1]),
        );
      all.sort((a, b2) => String(b2.request_time).localeCompare(String(a.request_time)));
      const offset = Number(b.page_token ?? 0);
      const page = all.slice(offset, offset + size);
      return send(200, {
        traces: page,
        ...(offset + size < all.length ? { next_page_token: String(offset + size) } : {}),
      });
    }
    if (method === "POST" && path === "/api/2.0/mlflow/traces/delete-traces") {
      const b = json();
      const ids = (b.request_ids as string[] | undefined) ?? [];
      let n = 0;
      for (const id of ids) if (this.infos.delete(id)) n++;
      return send(200, { traces_deleted: n });
    }
    // a SQL store writes tags and assessments of an unknown trace into the database, which refuses them
    const foreignKeyFailure = (table: string) =>
      send(400, {
        error_code: "INVALID_PARAMETER_VALUE",
        message: `(sqlite3.IntegrityError) FOREIGN KEY constraint failed\n[SQL: INSERT INTO ${table} ...]`,
      });
    const tags = /^\/api\/2\.0\/mlflow\/traces\/([^/]+)\/tags$/.exec(path);
    if (tags) {
      const info = this.infos.get(decodeURIComponent(tags[1] as string));
      if (!info) return foreignKeyFailure("trace_tags");
      const b = json();
      if (method === "PATCH") info.tags[String(b.key)] = String(b.value);
      else delete info.tags[String(b.key)];
      return send(200, {});
    }
    const assessments = /^\/api\/3\.0\/mlflow\/traces\/([^/]+)\/assessments$/.exec(path);
    if (assessments && method === "POST") {
      const info = this.infos.get(decodeURIComponent(assessments[1] as string));
      if (!info) return foreignKeyFailure("assessments");
      const a = {
        ...(json().assessment as Record<string, unknown>),
        assessment_id: `a-${"0".repeat(31)}${this.requests.length % 10}`,
      };
      info.assessments = [...((info.assessments as unknown[]) ?? []), a];
      return send(200, { assessment: a });
    }
    if (method === "GET" && path === "/api/3.0/mlflow/traces/get") {
      const id = url.searchParams.get("trace_id") ?? "";
      const info = this.infos.get(id);
      const spans = this.storedSpans.get(id);
      if (!info) return notFound(`Trace with ID ${id} not found.`);
      if (!spans)
        return send(500, { error_code: "INTERNAL_ERROR", message: "Trace data not stored in tracking store" });
      return send(200, { trace: { trace_info: info, spans } });
    }
    const get = /^\/api\/3\.0\/mlflow\/traces\/([^/]+)$/.exec(path);
    if (get && method === "GET") {
      const info = this.infos.get(decodeURIComponent(get[1] as string));
      return info ? send(200, { trace: { trace_info: info } }) : notFound(`Trace with ID ${get[1]} not found.`);
    }
    return send(404, { detail: "Not Found" });
  }
}
