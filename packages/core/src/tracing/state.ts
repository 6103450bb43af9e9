/** Global on/off switch, read on every traced call; kept as a plain module variable for speed. */
let tracingEnabled =
  process.env.TRACEWRIGHT_TRACING_ENABLED !== "false" && process.env.MLFLOW_TRACING_ENABLED !== "false";

/** @internal */
export const isTracingEnabled = (): boolean => tracingEnabled;

/**
 * Turns tracing back on after {@link disableTracing}.
 */
export function enableTracing(): void {
  tracingEnabled = true;
}

/**
 * Turns tracing off: traced functions and instrumented libraries run with no spans and near-zero
 * overhead, and nothing is recorded until {@link enableTracing} is called.
 */
export function disableTracing(): void {
  tracingEnabled = false;
}

/** True when tracing is on. */
export const tracingIsEnabled = (): boolean => tracingEnabled;
