/**
 * Which experiment is current: set by `setExperiment` or the environment
 * (`MLFLOW_EXPERIMENT_ID`, `MLFLOW_EXPERIMENT_NAME`), looked up in the destination's store, and
 * stamped on new traces.
 */
import { DEFAULT_EXPERIMENT_ID } from "../constants.js";
import type { Trace } from "../entities/trace.js";
import { ConfigurationError } from "../errors.js";
import { runInBackground } from "../internal/background-io.js";
import { log } from "../internal/log.js";
import { experimentNameRef, setActiveExperimentSource } from "../store/delivery/experiment-ref.js";
import { ReliableRemoteStore } from "../store/delivery/reliable-store.js";
import { lookUpExperimentById } from "../store/experiment-lookup.js";
import type { Experiment, TraceExporter } from "../store/trace-store.js";
import { describeDestination, getReadableStore, onDestinationChange } from "./destination.js";
import { type ActiveExperiment, configState as cfg } from "./state.js";

// the spool of a remote destination names the active experiment on traces finished before its id was known
setActiveExperimentSource(() => cfg.active);

/** A new destination may number experiments differently: keep the name, resolve the id again. */
onDestinationChange(() => {
  if (cfg.active?.name) cfg.active = { name: cfg.active.name };
});

const nonEmpty = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === "" ? undefined : v.trim();

/**
 * The experiment named `name`, created if absent. A write-only destination (an OpenTelemetry
 * collector) has no experiments to look the name up in: its traces carry the Default experiment.
 */
async function resolveByName(name: string): Promise<Experiment> {
  const store = getReadableStore();
  if (!store) return { experimentId: DEFAULT_EXPERIMENT_ID, name };
  return (await store.getExperimentByName(name)) ?? (await store.createExperiment(name));
}

/**
 * @internal The experiment with this id in the current store, for APIs that take an experiment
 * id. Throws a {@link ConfigurationError} naming the id when the store has no such experiment
 * (traces logged to it would be invisible to every listing); a destination that knows no
 * experiments (an OTLP collector) accepts any id.
 */
export async function requireExperimentById(experimentId: string, api: string): Promise<Experiment> {
  if (typeof experimentId !== "string" || experimentId.trim() === "") {
    throw new ConfigurationError(
      `${api}: experimentId must be a non-empty string, got ${JSON.stringify(experimentId)}.`,
    );
  }
  const store = getReadableStore();
  const found = store ? await lookUpExperimentById(store, experimentId) : undefined;
  if (found === null) {
    throw new ConfigurationError(
      `${api}: no experiment with id "${experimentId}" in ${describeDestination()}. Create it with setExperiment("<name>"), or pass the id of an existing one.`,
    );
  }
  return found ?? { experimentId, name: experimentId };
}

/**
 * Makes the named experiment active, creating it if absent. Traces started from now on are
 * logged to it. Also accepts `{ experimentId }` for an existing experiment: the store must hold
 * it (a {@link ConfigurationError} otherwise), and the experiment returned carries its name.
 */
export async function setExperiment(
  nameOrOptions: string | { experimentName?: string; experimentId?: string },
): Promise<Experiment> {
  const opts = typeof nameOrOptions === "string" ? { experimentName: nameOrOptions } : nameOrOptions;
  if (opts === null || typeof opts !== "object") {
    throw new ConfigurationError("setExperiment needs an experiment name or { experimentId }.");
  }
  if (opts.experimentId !== undefined) {
    const experiment = await requireExperimentById(opts.experimentId, "setExperiment");
    // chosen by id: it stays the active one when the store changes (no name to resolve again)
    cfg.active = { id: experiment.experimentId, ...(opts.experimentName ? { name: opts.experimentName } : {}) };
    return experiment;
  }
  const name = opts.experimentName;
  if (!name || name.trim() === "") throw new ConfigurationError("setExperiment needs a non-empty experiment name.");
  const entry: ActiveExperiment = { name };
  cfg.active = entry;
  return resolveEntry(entry);
}

/**
 * Looks the entry's experiment up (creating it if absent). A failure is logged once per run of
 * failures and leaves the entry retryable after a backoff (1 s doubling to 30 s): one failed
 * lookup must not decide the fate of every later trace.
 */
function resolveEntry(entry: ActiveExperiment): Promise<Experiment> {
  const name = entry.name as string;
  const experiment = resolveByName(name);
  entry.ready = experiment.then(
    (e) => {
      entry.id = e.experimentId;
      entry.failures = 0;
      return e.experimentId;
    },
    (e: unknown) => {
      entry.failures = (entry.failures ?? 0) + 1;
      entry.retryAt = Date.now() + Math.min(30_000, 1000 * 2 ** (entry.failures - 1));
      delete entry.ready;
      if (entry.failures === 1) log.error(`could not resolve experiment "${name}" (retrying)`, e);
      throw e;
    },
  );
  entry.ready.catch(() => undefined);
  return experiment;
}

/** Starts a lookup of the active named experiment unless one runs, or failed too recently. */
function resolveActiveSoon(entry: ActiveExperiment): void {
  if (entry.ready || entry.id !== undefined || entry.name === undefined) return;
  if (entry.retryAt !== undefined && Date.now() < entry.retryAt) return;
  // started by tracing itself, not awaited by the user: must not keep the process alive
  void runInBackground(() => resolveEntry(entry)).catch(() => undefined);
}

/**
 * @internal The id to stamp on a new trace: known synchronously in most cases; "" while a
 * named experiment is still being resolved (the export queue fills it in).
 */
export function currentExperimentId(): string {
  if (cfg.active?.id !== undefined) return cfg.active.id;
  if (cfg.active?.name !== undefined) {
    resolveActiveSoon(cfg.active);
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
    resolveActiveSoon(cfg.active);
    return cfg.active.id ?? "";
  }
  cfg.active = { id: DEFAULT_EXPERIMENT_ID };
  return DEFAULT_EXPERIMENT_ID;
}

/** @internal Resolves the pending experiment id (used by the export queue); retries a failed lookup. */
export async function pendingExperimentId(): Promise<string> {
  const entry = cfg.active;
  if (entry?.id !== undefined) return entry.id;
  if (entry?.ready) return entry.ready;
  if (entry?.name !== undefined) {
    // an earlier lookup failed: this caller waits for a fresh one rather than failing for good
    return (await resolveEntry(entry)).experimentId;
  }
  return DEFAULT_EXPERIMENT_ID;
}

/**
 * @internal Stamps the active experiment on the traces of `batch` that lack one. When the id is
 * not known yet and `exporter` resolves experiment names itself when delivering (a remote
 * destination's spool), the trace gets a placeholder naming the experiment instead, so it is
 * spooled at once and can be resolved, with retries, also by a later process. Returns true when
 * some trace still has no experiment (the caller then waits for {@link pendingExperimentId}).
 */
export function stampPendingExperiment(batch: Trace[], exporter: TraceExporter): boolean {
  const entry = cfg.active;
  let waiting = false;
  for (const t of batch) {
    if (t.info.experimentId !== "") continue;
    if (entry?.id !== undefined) t.info.traceLocation.mlflowExperiment.experimentId = entry.id;
    else if (entry?.name !== undefined && exporter instanceof ReliableRemoteStore)
      t.info.traceLocation.mlflowExperiment.experimentId = experimentNameRef(entry.name);
    else waiting = true;
  }
  return waiting;
}
