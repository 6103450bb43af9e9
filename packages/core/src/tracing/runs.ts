import { getReadableStore } from "../config/destination.js";
import { currentExperimentId, pendingExperimentId, requireExperimentById } from "../config/experiment.js";
import { currentRunId, setActiveRunId } from "../config/run.js";
import { InvalidArgumentError } from "../errors.js";
import { randomHex } from "../internal/ids.js";
import { log } from "../internal/log.js";

/** A run: a unit of work (an evaluation, a training job) that traces can be associated with. */
export interface Run {
  runId: string;
  experimentId: string;
  name: string | null;
}

/**
 * Starts a run and makes it active: traces started until {@link endRun} carry its id as
 * `mlflow.sourceRun` and can be found with `searchTraces({ runId })`. On an MLflow tracking
 * server the run is created there (`runs/create`) and has the id the server gave it, so MLflow's
 * own clients find it. An `experimentId` the store does not hold is refused with a
 * `ConfigurationError`.
 */
export async function startRun(options: { runName?: string; experimentId?: string } = {}): Promise<Run> {
  if (currentRunId() !== null) {
    throw new InvalidArgumentError(`Run ${currentRunId()} is already active; call endRun() first.`);
  }
  if (options.runName !== undefined && typeof options.runName !== "string") {
    throw new InvalidArgumentError(`startRun({ runName }): runName must be a string, got ${typeof options.runName}.`);
  }
  const experimentId =
    options.experimentId !== undefined
      ? (await requireExperimentById(options.experimentId, "startRun")).experimentId
      : currentExperimentId() || (await pendingExperimentId());
  const name = options.runName ?? null;
  // a write-only destination (a collector) keeps no runs: the run then lives in this process only
  const store = getReadableStore();
  const localId = randomHex(16);
  const assigned = await store?.createRun?.({ runId: localId, experimentId, name, startTime: Date.now() });
  const run: Run = { runId: typeof assigned === "string" && assigned !== "" ? assigned : localId, experimentId, name };
  setActiveRunId(run.runId);
  return run;
}

/** Ends the active run (status `FINISHED` unless given). */
export async function endRun(status: "FINISHED" | "FAILED" | "KILLED" = "FINISHED"): Promise<void> {
  const runId = currentRunId();
  if (runId === null) {
    log.warn("endRun() called with no active run");
    return;
  }
  setActiveRunId(null);
  await getReadableStore()?.endRun?.(runId, status, Date.now());
}

/** Runs `fn` inside a new run, ending it (FAILED on error) when `fn` settles. */
export async function withRun<T>(
  options: { runName?: string; experimentId?: string },
  fn: (run: Run) => T | Promise<T>,
): Promise<T> {
  const run = await startRun(options);
  try {
    const result = await fn(run);
    await endRun("FINISHED");
    return result;
  } catch (e) {
    await endRun("FAILED");
    throw e;
  }
}

/** The active run's id, or null. */
export const getActiveRunId = (): string | null => currentRunId();
