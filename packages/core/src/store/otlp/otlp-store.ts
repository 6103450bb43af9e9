import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Trace } from "../../entities/trace.js";
import { ConfigurationError, TracewrightError } from "../../errors.js";
import type { TraceExporter } from "../trace-store.js";
import { toReadableSpan } from "./to-readable-span.js";

/** OTLP transport protocols, as `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` names them. */
export type OtlpProtocol = "grpc" | "http/protobuf" | "http/json";

/** The protocol the environment asks for; MLflow's default is gRPC. */
export function protocolFromEnv(): OtlpProtocol {
  const raw = (
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    "grpc"
  ).trim();
  if (raw === "grpc" || raw === "http/protobuf" || raw === "http/json") return raw;
  throw new ConfigurationError(`Unsupported OTLP protocol "${raw}": use grpc, http/protobuf or http/json.`);
}

/** True when the environment points traces at an OpenTelemetry collector. */
export const otlpEndpointFromEnv = (): string | undefined =>
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core`, without loading that package up front. */
const EXPORT_SUCCESS = 0;

/**
 * Sends traces to any OpenTelemetry collector with OpenTelemetry's own OTLP exporters
 * (gRPC, HTTP/protobuf or HTTP/JSON). Endpoint, headers and timeouts follow the standard
 * `OTEL_EXPORTER_OTLP_*` variables; `OTEL_SERVICE_NAME` names the service. Spans keep their
 * MLflow attributes and gain the GenAI semantic-convention attributes (`gen_ai.*`).
 *
 * Write-only: a collector cannot be asked for traces, experiments or runs, so this has no read
 * methods. To read what you send, also log to a readable store:
 * `setTraceDestinations([new SqliteTraceStore(path), new OtlpTraceExporter()])`.
 */
export class OtlpTraceExporter implements TraceExporter {
  private exporter: Promise<SpanExporter> | undefined;
  private resource: Resource | undefined;

  constructor(
    private readonly options: { protocol?: OtlpProtocol; url?: string; headers?: Record<string, string> } = {},
  ) {}

  private async createExporter(): Promise<SpanExporter> {
    const protocol = this.options.protocol ?? protocolFromEnv();
    const config = {
      ...(this.options.url ? { url: this.options.url } : {}),
      ...(this.options.headers ? { headers: this.options.headers } : {}),
    };
    if (protocol === "http/json")
      return new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter(config);
    if (protocol === "http/protobuf")
      return new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter(config);
    return new (await import("@opentelemetry/exporter-trace-otlp-grpc")).OTLPTraceExporter(config);
  }

  private async getResource(): Promise<Resource> {
    if (!this.resource) {
      const { defaultResource, detectResources, envDetector } = await import("@opentelemetry/resources");
      this.resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
    }
    return this.resource;
  }

  async logTraces(traces: Trace[]): Promise<void> {
    this.exporter ??= this.createExporter();
    const exporter = await this.exporter;
    const resource = await this.getResource();
    const spans: ReadableSpan[] = [];
    for (const t of traces) for (const s of t.data.spans) spans.push(toReadableSpan(s, t, resource));
    await new Promise<void>((resolve, reject) => {
      exporter.export(spans, (result) => {
        if (result.code === EXPORT_SUCCESS) resolve();
        else reject(result.error ?? new TracewrightError("OTLP export failed"));
      });
    });
  }

  /** Flushes and closes the exporter. */
  async close(): Promise<void> {
    if (this.exporter) await (await this.exporter).shutdown();
  }
}

/**
 * The former name of {@link OtlpTraceExporter}, kept so existing code keeps working.
 *
 * @deprecated A collector is not a store (nothing can be read back from it): use `OtlpTraceExporter`.
 */
export const OtlpTraceStore = OtlpTraceExporter;
/** @deprecated Use `OtlpTraceExporter`. */
export type OtlpTraceStore = OtlpTraceExporter;
