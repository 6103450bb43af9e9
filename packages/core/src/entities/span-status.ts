import { brandClass } from "../internal/process-state.js";

/** Status codes of a span, as MLflow names them. */
export const SpanStatusCode = {
  OK: "OK",
  ERROR: "ERROR",
  UNSET: "UNSET",
} as const;
export type SpanStatusCode = (typeof SpanStatusCode)[keyof typeof SpanStatusCode];

const WIRE_PREFIX = "STATUS_CODE_";
/** The wire forms of the common codes, made once: every span written spells its status. */
const WIRE_OK = `${WIRE_PREFIX}OK`;
const WIRE_ERROR = `${WIRE_PREFIX}ERROR`;

/** The outcome of a span: a code and, for errors, a description. */
export class SpanStatus {
  readonly statusCode: SpanStatusCode;
  readonly description: string;

  constructor(statusCode: SpanStatusCode | `${SpanStatusCode}` = SpanStatusCode.UNSET, description = "") {
    if (!(statusCode in SpanStatusCode)) {
      throw new TypeError(`Invalid span status code "${statusCode}": expected one of OK, ERROR, UNSET.`);
    }
    this.statusCode = statusCode as SpanStatusCode;
    this.description = description;
  }

  /** Accepts a SpanStatus, a code string (`"OK"`, `"STATUS_CODE_ERROR"`), or an OpenTelemetry status. */
  static from(input: SpanStatus | string | { code: number | string; message?: string | undefined }): SpanStatus {
    if (input instanceof SpanStatus) return input;
    if (typeof input === "string") return new SpanStatus(normalizeCode(input));
    const code = typeof input.code === "number" ? (["UNSET", "OK", "ERROR"][input.code] ?? "UNSET") : input.code;
    return new SpanStatus(normalizeCode(code), input.message ?? "");
  }

  /** MLflow's dict form: `{ code: "STATUS_CODE_OK", message }`. */
  toDict(): { code: string; message: string } {
    const code = this.statusCode;
    const wire = code === "OK" ? WIRE_OK : code === "ERROR" ? WIRE_ERROR : WIRE_PREFIX + code;
    return { code: wire, message: this.description };
  }

  toString(): string {
    return this.description ? `${this.statusCode}: ${this.description}` : this.statusCode;
  }
}

function normalizeCode(code: string): SpanStatusCode {
  const upper = code.toUpperCase();
  const bare = upper.startsWith(WIRE_PREFIX) ? upper.slice(WIRE_PREFIX.length) : upper;
  if (bare in SpanStatusCode) return bare as SpanStatusCode;
  throw new TypeError(`Invalid span status code "${code}": expected one of OK, ERROR, UNSET.`);
}

// `instanceof` recognises instances made by another copy of core loaded in the same process.
brandClass(SpanStatus, "SpanStatus");
