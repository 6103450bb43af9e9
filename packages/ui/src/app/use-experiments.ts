import { useCallback, useEffect, useState } from "preact/hooks";
import { listExperiments } from "./api.js";

/** One experiment as the list's selector shows it. */
export interface ExperimentChoice {
  experimentId: string;
  name: string;
  traceCount: number;
}

/**
 * The store's experiments, loaded once and again on `refresh()` (the live view calls it, so trace
 * counts follow a running app). A failed load keeps the last list rather than emptying it.
 */
export function useExperiments(): { experiments: ExperimentChoice[]; refresh: () => void } {
  const [experiments, setExperiments] = useState<ExperimentChoice[]>([]);
  const refresh = useCallback(() => {
    listExperiments()
      .then((r) => setExperiments(r.experiments))
      .catch(() => {});
  }, []);
  useEffect(refresh, []);
  return { experiments, refresh };
}
