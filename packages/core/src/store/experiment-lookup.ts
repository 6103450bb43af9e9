import type { Experiment, TraceStore } from "./trace-store.js";

/**
 * The experiment with this id in `store`: by `getExperimentById` where the store has it, else
 * from its experiment list. Null when the store has no such experiment; undefined when the store
 * cannot tell (a write-only OTLP collector knows no experiments).
 */
export async function lookUpExperimentById(
  store: TraceStore,
  experimentId: string,
): Promise<Experiment | null | undefined> {
  if (store.getExperimentById) return store.getExperimentById(experimentId);
  if (!store.listExperiments) return undefined;
  const all = await store.listExperiments();
  const found = all.find((e) => e.experimentId === experimentId);
  return found ? { experimentId: found.experimentId, name: found.name } : null;
}
