import { processSingleton } from "../internal/process-state.js";

/** The global on/off switch, read on every traced call; shared by every copy of core. */
const switchState = processSingleton("tracing-switch", () => ({
  enabled: process.env.TRACEWRIGHT_TRACING_ENABLED !== "false" && process.env.MLFLOW_TRACING_ENABLED !== "false",
}));

/** @internal */
export const isTracingEnabled = (): boolean => switchState.enabled;

/**
 * Turns tracing back on after {@link disableTracing}.
 */
export function enableTracing(): void {
  switchState.enabled = true;
}

/**
 * Turns tracing off: traced functions and instrumented libraries run with no spans and near-zero
 * overhead, and nothing is recorded until {@link enableTracing} is called.
 */
export function disableTracing(): void {
  switchState.enabled = false;
}

/** True when tracing is on. */
export const tracingIsEnabled = (): boolean => switchState.enabled;
