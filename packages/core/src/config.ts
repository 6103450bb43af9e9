import { DEFAULT_EXPERIMENT_ID } from "./constants.js";
import { ConfigurationError } from "./errors.js";
import { log } from "./internal/log.js";
import { processSingleton } from "./internal/process-state.js";
import { ReliableRemoteStore } from "./store/delivery/reliable-store.js";
import { MultiTraceStore } from "./store/multi-store.js";
import { OtlpTraceStore, otlpEndpointFromEnv } from "./store/otlp/otlp-store.js";
import { createStoreForUri, DEFAULT_TRACKING_URI, schemeOf } from "./store/resolve.js";
import type { Experiment, TraceStore } from "./store/trace-store.js";

interface ActiveExperiment {
  id?: string;
  name?: string;
  ready?: Promise<string>;
}

/**
 * Where traces go and which experiment and run are current, shared by every copy of core in the
 * process, so a store set through one copy is the store of all of them.
 */
const cfg = processSingleton("config", () => ({
  explicitUri: undefined as string | undefined,
  customStore: undefined as TraceStore | undefined,
  cached: undefined as { uri: string; store: TraceStore } | undefined,
  active: undefined as ActiveExperiment | undefined,
  activeRunId: null as string | null,
}));

/**
 * Selects where traces are stored: `"sqlite:///abs/path.db"`, `"sqlite:relative.db"`,
 * `"memory:"`, ... Overrides `TRACEWRIGHT_TRACKING_URI` and `MLFLOW_TRACKING_URI`.
 */
export function setTrackingUri(uri: string): void {
  schemeOf(uri);
  cfg.explicitUri = uri;
  cfg.customStore = undefined;
  cfg.cached = undefined; // a new connection: credentials in the environment may have changed
  resetExperimentCache();
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

/** Uses `store` for all traces, whatever the tracking URI says (tests, custom backends). */
export function setTraceStore(store: TraceStore | null): void {
  cfg.customStore = store ?? undefined;
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
  if (cfg.customStore) return cfg.customStore;
  if (cfg.explicitUri === undefined && otlpEndpointFromEnv()) {
    const key = `otlp:${otlpEndpointFromEnv()}`;
    if (cfg.cached?.uri !== key)
      cfg.cached = { uri: key, store: new ReliableRemoteStore(new OtlpTraceStore(), key, { batchSize: 100 }) };
    return cfg.cached.store;
  }
  const uri = getTrackingUri();
  if (cfg.cached?.uri !== uri) cfg.cached = { uri, store: createStoreForUri(uri) };
  return cfg.cached.store;
}

// ---- experiments ---------------------------------------------------------------------------

/** A new store may number experiments differently: keep the name, resolve the id again. */
function resetExperimentCache(): void {
  if (cfg.active?.name) cfg.active = { name: cfg.active.name };
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
    cfg.active = { id: opts.experimentId, ...(opts.experimentName ? { name: opts.experimentName } : {}) };
    return { experimentId: opts.experimentId, name: opts.experimentName ?? opts.experimentId };
  }
  const name = opts.experimentName;
  if (!name || name.trim() === "") throw new ConfigurationError("setExperiment needs a non-empty experiment name.");
  const entry: ActiveExperiment = { name };
  cfg.active = entry;
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
  if (cfg.active?.id !== undefined) return cfg.active.id;
  if (cfg.active?.name !== undefined) {
    if (!cfg.active.ready) void setExperiment(cfg.active.name).catch(() => undefined);
    return cfg.active.id ?? "";
  }
  // Read the environment once (process.env lookups are slow on the hot path).
  const envId = nonEmpty(process.env.MLFLOW_EXPERIMENT_ID);
  if (envId) {
    cfg.active = { id: envId };
    return envId;
  }
  const envName = nonEmpty(process.env.MLFLOW_EXPERIMENT_NAME);
  if (envName) {
    cfg.active = { name: envName };
    void setExperiment(envName).catch(() => undefined);
    return cfg.active.id ?? "";
  }
  cfg.active = { id: DEFAULT_EXPERIMENT_ID };
  return DEFAULT_EXPERIMENT_ID;
}

/** @internal Resolves the pending experiment id (used by the export queue). */
export async function pendingExperimentId(): Promise<string> {
  if (cfg.active?.id !== undefined) return cfg.active.id;
  if (cfg.active?.ready) return cfg.active.ready;
  return DEFAULT_EXPERIMENT_ID;
}

// ---- runs -----------------------------------------------------------------------------------

/** @internal The active run, stamped on new traces as `mlflow.sourceRun`. */
export const currentRunId = (): string | null => cfg.activeRunId;

/** @internal */
export function setActiveRunId(runId: string | null): void {
  cfg.activeRunId = runId;
}
