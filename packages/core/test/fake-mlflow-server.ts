/**
 * A loopback stand-in for an MLflow 3.11 tracking server: the trace endpoints MLflow's clients
 * use, with the request validation and answers captured in shared/research/mlflow-wire.md.
 * Test-side only; every request is recorded for assertions.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

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
        if (req.method === "POST" && url.pathname === "/v1/traces") {
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
      const otelId = Buffer.from(info.trace_id.slice(3), "hex");
      const spansInDb = this.otlp.some((o) => o.body.includes(otelId));
      const stored: Info = {
        ...info,
        tags: {
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
      const tag = /^tags\.(\w+) = '([^']*)'$/.exec(String(b.filter ?? ""));
      let all = [...this.infos.values()].filter((i) =>
        experiments.includes(
          (i.trace_location as { mlflow_experiment: { experiment_id: string } }).mlflow_experiment.experiment_id,
        ),
      );
      if (tag) all = all.filter((i) => i.tags[tag[1] as string] === tag[2]);
      all.sort((a, b2) => String(b2.request_time).localeCompare(String(a.request_time)));
      const offset = Number(b.page_token ?? 0);
      const size = Number(b.max_results ?? 100);
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
    const tags = /^\/api\/2\.0\/mlflow\/traces\/([^/]+)\/tags$/.exec(path);
    if (tags) {
      const info = this.infos.get(decodeURIComponent(tags[1] as string));
      if (!info) return notFound("Trace not found");
      const b = json();
      if (method === "PATCH") info.tags[String(b.key)] = String(b.value);
      else delete info.tags[String(b.key)];
      return send(200, {});
    }
    const assessments = /^\/api\/3\.0\/mlflow\/traces\/([^/]+)\/assessments$/.exec(path);
    if (assessments && method === "POST") {
      const info = this.infos.get(decodeURIComponent(assessments[1] as string));
      if (!info) return notFound("Trace not found");
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
