/**
 * Where traces go: the exporter the export queue writes to, and the store reads go to. Set in
 * code (`setTraceStore`, `setTraceDestinations`, `setTrackingUri`) or by the environment.
 */
import { ConfigurationError } from "../errors.js";
import { ReliableRemoteStore } from "../store/delivery/reliable-store.js";
import { MultiTraceStore } from "../store/multi-store.js";
import { OtlpTraceExporter, otlpEndpointFromEnv } from "../store/otlp/otlp-store.js";
import { createDestinationForUri, DEFAULT_TRACKING_URI, schemeOf, type TraceDestination } from "../store/resolve.js";
import { readableStoreOf, type TraceExporter, type TraceStore } from "../store/trace-store.js";
import { configState as cfg } from "./state.js";

/**
 * Selects where traces are stored: `"sqlite:///abs/path.db"`, `"sqlite:relative.db"`,
 * `"memory:"`, `"http://host:5000"` (an MLflow tracking server), ... Overrides
 * `TRACEWRIGHT_TRACKING_URI` and `MLFLOW_TRACKING_URI`.
 */
export function setTrackingUri(uri: string): void {
  schemeOf(uri);
  beforeDestinationChange();
  cfg.explicitUri = uri;
  cfg.customDestination = undefined;
  cfg.cached = undefined; // a new connection: credentials in the environment may have changed
  destinationChanged();
}

/** The tracking URI in effect: set explicitly, else from the environment, else the default. */
export function getTrackingUri(): string {
  return (
    cfg.explicitUri ??
    nonEmpty(process.env.TRACEWRIGHT_TRACKING_URI) ??
    nonEmpty(process.env.MLFLOW_TRACKING_URI) ??
    DEFAULT_TRACKING_URI
  );
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function checkExporter(x: unknown, api: string): asserts x is TraceExporter {
  if (x === null || typeof x !== "object" || typeof (x as { logTraces?: unknown }).logTraces !== "function") {
    throw new ConfigurationError(
      `${api}: expected a trace store or exporter (an object with a logTraces method), got ${x === null ? "null" : typeof x}.`,
    );
  }
}

/**
 * Uses `destination` for all traces, whatever the tracking URI says (tests, custom backends): a
 * {@link TraceStore}, which is also read from, or a write-only {@link TraceExporter} (an
 * OpenTelemetry collector; reads then fail with a `ConfigurationError`). `null` goes back to
 * the tracking URI.
 */
export function setTraceStore(destination: TraceStore | TraceExporter | null): void {
  if (destination !== null && destination !== undefined) checkExporter(destination, "setTraceStore");
  beforeDestinationChange();
  if (destination === null || destination === undefined) cfg.customDestination = undefined;
  else cfg.customDestination = { exporter: destination, store: readableStoreOf(destination) };
  destinationChanged();
}

/**
 * Sends traces to several destinations at once, e.g. the embedded store and a collector:
 * `setTraceDestinations([new SqliteTraceStore(path), new OtlpTraceExporter()])`. Reads go to the
 * first destination that can read.
 */
export function setTraceDestinations(destinations: Array<TraceStore | TraceExporter>): void {
  if (!Array.isArray(destinations) || destinations.length === 0) {
    throw new ConfigurationError("setTraceDestinations needs a non-empty array of trace stores or exporters.");
  }
  destinations.forEach((d, i) => {
    checkExporter(d, `setTraceDestinations: destination ${i}`);
  });
  setTraceStore(destinations.length === 1 ? (destinations[0] as TraceExporter) : new MultiTraceStore(destinations));
}

/**
 * The destination in effect: set in code, else the tracking URI set in code, else an
 * OpenTelemetry collector when `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set (as in MLflow, it
 * then replaces the tracking store), else the tracking URI from the environment.
 */
function destination(): TraceDestination {
  if (cfg.customDestination) return cfg.customDestination;
  const endpoint = cfg.explicitUri === undefined ? otlpEndpointFromEnv() : undefined;
  if (endpoint) {
    const key = `otlp:${endpoint}`;
    if (cfg.cached?.key !== key) {
      const exporter = new ReliableRemoteStore(new OtlpTraceExporter(), key, { batchSize: 100 });
      cfg.cached = { key, destination: { exporter, store: null } };
    }
    return cfg.cached.destination;
  }
  const uri = getTrackingUri();
  if (cfg.cached?.key !== uri) cfg.cached = { key: uri, destination: createDestinationForUri(uri) };
  return cfg.cached.destination;
}

/**
 * The store traces are read from and managed in (`getTrace`, `searchTraces`, tags, assessments,
 * experiments, runs). Throws a {@link ConfigurationError} when the destination is write-only
 * (an OpenTelemetry collector): nothing sent there can be read back through Tracewright.
 */
export function getTraceStore(): TraceStore {
  const store = destination().store;
  if (store) return store;
  throw new ConfigurationError(
    `The trace destination (${describeDestination()}) is write-only: traces sent there cannot be read back through Tracewright. Read them in the collector's backend, or also log to a readable store, e.g. setTraceDestinations([new SqliteTraceStore(path), new OtlpTraceExporter()]).`,
  );
}

/** @internal The store reads go to, or null for a write-only destination (runs then stay local). */
export function getReadableStore(): TraceStore | null {
  return destination().store;
}

/** @internal What the export queue, flushes and exit hooks write finished traces to. */
export function getTraceExporter(): TraceExporter {
  return destination().exporter;
}

/** @internal The destination, for messages. */
export function describeDestination(): string {
  if (cfg.customDestination) return "the configured trace store";
  const endpoint = cfg.explicitUri === undefined ? otlpEndpointFromEnv() : undefined;
  return endpoint ? `the OpenTelemetry collector at ${endpoint}` : `the store at ${getTrackingUri()}`;
}

/**
 * @internal Calls `listener` after every change of destination. The experiment layer uses it to
 * forget experiment ids, which the new destination may number differently, without this module
 * depending on it.
 */
export function onDestinationChange(listener: () => void): void {
  cfg.destinationListeners.add(listener);
}

function destinationChanged(): void {
  for (const listener of cfg.destinationListeners) listener();
}

/**
 * @internal Calls `listener` before a change of destination, the old one still in effect, when
 * that one is in use (set in code, or made from a URI once something was written or read): the
 * export queue hands it the traces that finished while it was. Traces made before any
 * destination was in use (an app's startup, tracing before it calls `setTrackingUri`) go to the
 * one configured next, rather than into a default store made for them.
 */
export function onBeforeDestinationChange(listener: () => void): void {
  cfg.beforeDestinationListeners ??= new Set();
  cfg.beforeDestinationListeners.add(listener);
}

function beforeDestinationChange(): void {
  if (cfg.customDestination === undefined && cfg.cached === undefined) return;
  for (const listener of cfg.beforeDestinationListeners ?? []) {
    try {
      listener();
    } catch {
      // (a listener's own failure is its to log: the destination changes all the same)
    }
  }
}
