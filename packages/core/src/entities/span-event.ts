import { nowNs } from "../internal/clock.js";
import { toJson } from "../internal/json.js";

/** Primitive values OpenTelemetry allows as event attributes. */
export type EventAttributeValue = string | number | boolean | string[] | number[] | boolean[];

function isPrimitiveArray(v: unknown[]): boolean {
  return v.every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean");
}

/** Keeps OpenTelemetry-compatible values; anything else is stored as its JSON text. */
function normalizeAttributes(attributes: Record<string, unknown>): Record<string, EventAttributeValue> {
  const out: Record<string, EventAttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[key] = value;
    else if (Array.isArray(value) && isPrimitiveArray(value)) out[key] = value as string[];
    else out[key] = toJson(value);
  }
  return out;
}

/** The error's class name, as Python's `type(e).__name__` (many libraries leave `name` = "Error"). */
function exceptionType(err: Error): string {
  if (err.name && err.name !== "Error") return err.name;
  return err.constructor?.name || err.name || "Error";
}

/** Something that happened at a point in a span's life: a checkpoint, a stream chunk, an exception. */
export class SpanEvent {
  readonly name: string;
  /** Nanoseconds since the epoch. */
  readonly timestamp: number;
  readonly attributes: Readonly<Record<string, EventAttributeValue>>;

  constructor(options: { name: string; timestamp?: number; attributes?: Record<string, unknown> }) {
    this.name = options.name;
    this.timestamp = options.timestamp ?? nowNs();
    this.attributes = normalizeAttributes(options.attributes ?? {});
  }

  /**
   * An `exception` event with `exception.type`, `exception.message` and `exception.stacktrace`,
   * the form OpenTelemetry and MLflow use.
   */
  static fromException(error: unknown): SpanEvent {
    const err = error instanceof Error ? error : undefined;
    if (!err && isExceptionLike(error)) {
      // OpenTelemetry's Exception: a plain { name, message, stack, code } object
      const type = error.name ?? (error.code === undefined ? "Error" : String(error.code));
      const message = error.message ?? "";
      return new SpanEvent({
        name: "exception",
        attributes: {
          "exception.type": type,
          "exception.message": message,
          "exception.stacktrace": error.stack ?? `${type}: ${message}`,
        },
      });
    }
    return new SpanEvent({
      name: "exception",
      attributes: {
        "exception.type": err ? exceptionType(err) : typeof error,
        "exception.message": err ? err.message : String(error),
        "exception.stacktrace": err?.stack ?? String(error),
      },
    });
  }

  /** MLflow's dict form: `{ name, time_unix_nano, attributes }`. */
  toDict(): { name: string; time_unix_nano: number; attributes: Record<string, EventAttributeValue> } {
    return { name: this.name, time_unix_nano: this.timestamp, attributes: { ...this.attributes } };
  }

  static fromDict(d: {
    name: string;
    time_unix_nano?: number | string;
    timestamp?: number | string;
    attributes?: Record<string, unknown>;
  }): SpanEvent {
    const time = d.time_unix_nano ?? d.timestamp;
    return new SpanEvent({
      name: d.name,
      ...(time !== undefined ? { timestamp: Number(time) } : {}),
      attributes: d.attributes ?? {},
    });
  }
}

interface ExceptionLike {
  name?: string;
  message?: string;
  stack?: string;
  code?: string | number;
}

function isExceptionLike(value: unknown): value is ExceptionLike {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === "string" || typeof v.name === "string";
}
