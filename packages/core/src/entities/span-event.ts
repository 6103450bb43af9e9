import { nowNs } from "../internal/clock.js";
import { toJson } from "../internal/json.js";
import { brandClass } from "../internal/process-state.js";

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

const UNREADABLE = "<the error's message could not be read>";

/** `read()`, or `fallback` when reading throws. */
function attempt<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
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
    // Every read is guarded: an error's getters are user code and may throw (a `message` getter
    // that throws must not cost the trace).
    const err = attempt(() => (error instanceof Error ? error : undefined), undefined);
    if (!err && attempt(() => isExceptionLike(error), false)) {
      // OpenTelemetry's Exception: a plain { name, message, stack, code } object
      const e = error as ExceptionLike;
      const type = attempt(() => e.name ?? (e.code === undefined ? "Error" : String(e.code)), "Error");
      const message = attempt(() => e.message ?? "", UNREADABLE);
      return new SpanEvent({
        name: "exception",
        attributes: {
          "exception.type": type,
          "exception.message": message,
          "exception.stacktrace": attempt(() => e.stack ?? `${type}: ${message}`, `${type}: ${message}`),
        },
      });
    }
    const type = err ? attempt(() => exceptionType(err), "Error") : typeof error;
    const message = attempt(() => (err ? String(err.message) : String(error)), UNREADABLE);
    return new SpanEvent({
      name: "exception",
      attributes: {
        "exception.type": type,
        "exception.message": message,
        "exception.stacktrace": attempt(() => (err ? (err.stack ?? message) : message), message),
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

// `instanceof` recognises instances made by another copy of core loaded in the same process.
brandClass(SpanEvent, "SpanEvent");
