/**
 * A trace spooled before its experiment's id is known carries the experiment's *name* in place of
 * the id, so that the delivery loop (of this process, or of the next one after a restart) can
 * resolve it against the destination, with retries, before sending. The prefix cannot be a real
 * experiment id: MLflow's are digits, and no id starts with a NUL character.
 */
import { processSingleton } from "../../internal/process-state.js";

const PREFIX = "\u0000tracewright.experiment-name:";

/** The placeholder experiment id that stands for experiment `name` until it is resolved. */
export function experimentNameRef(name: string): string {
  return PREFIX + name;
}

/** The experiment name a placeholder id stands for, or undefined for a real id. */
export function experimentNameOf(experimentId: string): string | undefined {
  return experimentId.startsWith(PREFIX) ? experimentId.slice(PREFIX.length) : undefined;
}

/** What the process's configuration says about the active experiment (set by config.ts). */
type ActiveExperimentSource = () => { id?: string; name?: string } | undefined;

const source = processSingleton("experiment-ref", () => ({ active: undefined as ActiveExperimentSource | undefined }));

/** @internal Lets the configuration tell the spool which experiment is active (no import cycle). */
export function setActiveExperimentSource(fn: ActiveExperimentSource): void {
  source.active = fn;
}

/**
 * The experiment id to give a trace that has none: the active experiment's id when known, else a
 * placeholder naming it; undefined when there is no active experiment at all.
 */
export function experimentForUnstamped(): string | undefined {
  const active = source.active?.();
  if (active?.id !== undefined) return active.id;
  return active?.name !== undefined ? experimentNameRef(active.name) : undefined;
}
