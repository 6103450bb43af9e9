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

// `instanceof` works for errors thrown by another copy of core loaded in the same process.
brandClass(TracewrightError, "TracewrightError");
brandClass(TraceNotFoundError, "TraceNotFoundError");
brandClass(InvalidFilterError, "InvalidFilterError");
brandClass(ConfigurationError, "ConfigurationError");
brandClass(InvalidArgumentError, "InvalidArgumentError");
