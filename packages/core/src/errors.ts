import { brandClass } from "./internal/process-state.js";

/** Base class of the errors Tracewright throws for problems the user must act on. */
export class TracewrightError extends Error {
  override name = "TracewrightError";
}

/** No trace with the given id exists in the store. */
export class TraceNotFoundError extends TracewrightError {
  override name = "TraceNotFoundError";
  readonly traceId: string;
  constructor(traceId: string, message?: string) {
    super(message ?? `Trace "${traceId}" not found. Check the id, or call flushTraces() if it was just logged.`);
    this.traceId = traceId;
  }
}

/** A filter string or order-by clause could not be parsed; nothing was executed. */
export class InvalidFilterError extends TracewrightError {
  override name = "InvalidFilterError";
  /** The offending token, as written. */
  readonly token: string;
  /** Zero-based character position of the token in the input. */
  readonly position: number;
  constructor(message: string, token: string, position: number) {
    super(message);
    this.token = token;
    this.position = position;
  }
}

/** A configuration value (tracking URI, experiment, option) is invalid. */
export class ConfigurationError extends TracewrightError {
  override name = "ConfigurationError";
}

/** An argument to a public API is invalid. */
export class InvalidArgumentError extends TracewrightError {
  override name = "InvalidArgumentError";
}

/**
 * A store was used after its `close()`: nothing was read or written. Open a new store on the same
 * path (or URI) to go on; what was written before `close()` is there.
 */
export class StoreClosedError extends TracewrightError {
  override name = "StoreClosedError";
  /** The closed store's location (a file path, or a URI). */
  readonly location: string;
  constructor(location: string, operation: string) {
    super(`${operation}: the trace store at ${location} is closed; open a new store to use it again`);
    this.location = location;
  }
}

/**
 * A store could not write some traces of a batch (rejected by `logTraces`): `failedTraces` of
 * them are not stored; the rest of the batch is. The export queue counts exactly those as failed
 * (`getExportStats().failed`) and the others as exported.
 */
export class TracesNotStoredError extends TracewrightError {
  override name = "TracesNotStoredError";
  /** How many traces of the batch are not stored. */
  readonly failedTraces: number;
  constructor(message: string, failedTraces: number, options?: { cause?: unknown }) {
    super(message, options);
    this.failedTraces = failedTraces;
  }
}

/**
 * @internal The {@link TracesNotStoredError} for `failed` of `total` traces, its message naming
 * why (`cause`'s message).
 */
export function tracesNotStored(failed: number, total: number, cause: unknown): TracesNotStoredError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new TracesNotStoredError(`${failed} of ${total} trace(s) not stored: ${why}`, failed, { cause });
}

/**
 * How many of a failed write's `batchSize` traces were not stored: what a
 * {@link TracesNotStoredError} (from any copy of core) says, else all of them.
 */
export function failedTracesOf(error: unknown, batchSize: number): number {
  const n = (error as { name?: unknown; failedTraces?: unknown } | null)?.failedTraces;
  return (error as { name?: unknown } | null)?.name === "TracesNotStoredError" &&
    typeof n === "number" &&
    Number.isInteger(n) &&
    n >= 0 &&
    n <= batchSize
    ? n
    : batchSize;
}

// `instanceof` works for errors thrown by another copy of core loaded in the same process.
brandClass(TracewrightError, "TracewrightError");
brandClass(TraceNotFoundError, "TraceNotFoundError");
brandClass(InvalidFilterError, "InvalidFilterError");
brandClass(ConfigurationError, "ConfigurationError");
brandClass(InvalidArgumentError, "InvalidArgumentError");
brandClass(TracesNotStoredError, "TracesNotStoredError");
brandClass(StoreClosedError, "StoreClosedError");
