/** Which run is current: stamped on new traces as `mlflow.sourceRun` (see tracing/runs.ts). */
import { configState } from "./state.js";

/** @internal The active run, or null. */
export const currentRunId = (): string | null => configState.activeRunId;

/** @internal */
export function setActiveRunId(runId: string | null): void {
  configState.activeRunId = runId;
}
