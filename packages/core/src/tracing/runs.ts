import { currentExperimentId, currentRunId, getTraceStore, pendingExperimentId, setActiveRunId } from "../config.js";
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
 * `mlflow.sourceRun` and can be found with `searchTraces({ runId })`.
 */
export async function startRun(options: { runName?: string; experimentId?: string } = {}): Promise<Run> {
  if (currentRunId() !== null) {
    throw new InvalidArgumentError(`Run ${currentRunId()} is already active; call endRun() first.`);
  }
  const experimentId = options.experimentId ?? (currentExperimentId() || (await pendingExperimentId()));
  const run: Run = { runId: randomHex(16), experimentId, name: options.runName ?? null };
  const store = getTraceStore();
  await store.createRun?.({ runId: run.runId, experimentId, name: run.name, startTime: Date.now() });
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
  await getTraceStore().endRun?.(runId, status, Date.now());
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
