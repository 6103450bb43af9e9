import { DEFAULT_EXPERIMENT_ID } from "./constants.js";
import { ConfigurationError } from "./errors.js";
import { log } from "./internal/log.js";
import { ReliableRemoteStore } from "./store/delivery/reliable-store.js";
import { MultiTraceStore } from "./store/multi-store.js";
import { OtlpTraceStore, otlpEndpointFromEnv } from "./store/otlp/otlp-store.js";
import { createStoreForUri, DEFAULT_TRACKING_URI, schemeOf } from "./store/resolve.js";
import type { Experiment, TraceStore } from "./store/trace-store.js";

let explicitUri: string | undefined;
let customStore: TraceStore | undefined;
let cached: { uri: string; store: TraceStore } | undefined;

/**
 * Selects where traces are stored: `"sqlite:///abs/path.db"`, `"sqlite:relative.db"`,
 * `"memory:"`, ... Overrides `TRACEWRIGHT_TRACKING_URI` and `MLFLOW_TRACKING_URI`.
 */
export function setTrackingUri(uri: string): void {
  schemeOf(uri);
  explicitUri = uri;
  customStore = undefined;
  cached = undefined; // a new connection: credentials in the environment may have changed
  resetExperimentCache();
}

/** The tracking URI in effect: set explicitly, else from the environment, else the default. */
export function getTrackingUri(): string {
  return (
    explicitUri ??
    nonEmpty(process.env.TRACEWRIGHT_TRACKING_URI) ??
    nonEmpty(process.env.MLFLOW_TRACKING_URI) ??
    DEFAULT_TRACKING_URI
  );
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

/** Uses `store` for all traces, whatever the tracking URI says (tests, custom backends). */
export function setTraceStore(store: TraceStore | null): void {
  customStore = store ?? undefined;
  resetExperimentCache();
}

/**
 * Sends traces to several destinations at once, e.g. the embedded store and a collector:
 * `setTraceDestinations([new SqliteTraceStore(path), new OtlpTraceStore()])`. Reads use the first.
 */
export function setTraceDestinations(stores: TraceStore[]): void {
  setTraceStore(stores.length === 1 ? (stores[0] as TraceStore) : new MultiTraceStore(stores));
}

/**
 * The store traces are written to and read from: a store set in code, else the tracking URI set
 * in code, else an OpenTelemetry collector when `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set (as
 * in MLflow, it then replaces the tracking store), else the tracking URI from the environment.
 */
export function getTraceStore(): TraceStore {
  if (customStore) return customStore;
  if (explicitUri === undefined && otlpEndpointFromEnv()) {
    const key = `otlp:${otlpEndpointFromEnv()}`;
    if (cached?.uri !== key)
      cached = { uri: key, store: new ReliableRemoteStore(new OtlpTraceStore(), key, { batchSize: 100 }) };
    return cached.store;
  }
  const uri = getTrackingUri();
  if (cached?.uri !== uri) cached = { uri, store: createStoreForUri(uri) };
  return cached.store;
}

// ---- experiments ---------------------------------------------------------------------------

interface ActiveExperiment {
  id?: string;
  name?: string;
  ready?: Promise<string>;
}

let active: ActiveExperiment | undefined;

/** A new store may number experiments differently: keep the name, resolve the id again. */
function resetExperimentCache(): void {
  if (active?.name) active = { name: active.name };
}

async function resolveByName(name: string): Promise<Experiment> {
  const store = getTraceStore();
  return (await store.getExperimentByName(name)) ?? (await store.createExperiment(name));
}

/**
 * Makes the named experiment active, creating it if absent. Traces started from now on are
 * logged to it. Also accepts `{ experimentId }` for an existing experiment.
 */
export async function setExperiment(
  nameOrOptions: string | { experimentName?: string; experimentId?: string },
): Promise<Experiment> {
  const opts = typeof nameOrOptions === "string" ? { experimentName: nameOrOptions } : nameOrOptions;
  if (opts.experimentId !== undefined) {
    active = { id: opts.experimentId, ...(opts.experimentName ? { name: opts.experimentName } : {}) };
    return { experimentId: opts.experimentId, name: opts.experimentName ?? opts.experimentId };
  }
  const name = opts.experimentName;
  if (!name || name.trim() === "") throw new ConfigurationError("setExperiment needs a non-empty experiment name.");
  const entry: ActiveExperiment = { name };
  active = entry;
  const experiment = resolveByName(name);
  entry.ready = experiment.then((e) => {
    entry.id = e.experimentId;
    return e.experimentId;
  });
  entry.ready.catch((e: unknown) => log.error(`could not resolve experiment "${name}"`, e));
  return experiment;
}

/**
 * @internal The id to stamp on a new trace: known synchronously in most cases; "" while a
 * named experiment is still being resolved (the export queue fills it in).
 */
export function currentExperimentId(): string {
  if (active?.id !== undefined) return active.id;
  if (active?.name !== undefined) {
    if (!active.ready) void setExperiment(active.name).catch(() => undefined);
    return active.id ?? "";
  }
  // Read the environment once (process.env lookups are slow on the hot path).
  const envId = nonEmpty(process.env.MLFLOW_EXPERIMENT_ID);
  if (envId) {
    active = { id: envId };
    return envId;
  }
  const envName = nonEmpty(process.env.MLFLOW_EXPERIMENT_NAME);
  if (envName) {
    active = { name: envName };
    void setExperiment(envName).catch(() => undefined);
    return active.id ?? "";
  }
  active = { id: DEFAULT_EXPERIMENT_ID };
  return DEFAULT_EXPERIMENT_ID;
}

/** @internal Resolves the pending experiment id (used by the export queue). */
export async function pendingExperimentId(): Promise<string> {
  if (active?.id !== undefined) return active.id;
  if (active?.ready) return active.ready;
  return DEFAULT_EXPERIMENT_ID;
}

// ---- runs -----------------------------------------------------------------------------------

let activeRunId: string | null = null;

/** @internal The active run, stamped on new traces as `mlflow.sourceRun`. */
export const currentRunId = (): string | null => activeRunId;

/** @internal */
export function setActiveRunId(runId: string | null): void {
  activeRunId = runId;
}
