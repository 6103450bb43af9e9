import { InvalidArgumentError } from "../errors.js";
import { randomHex } from "../internal/ids.js";

/** Who produced an assessment. */
export const AssessmentSourceType = {
  HUMAN: "HUMAN",
  LLM_JUDGE: "LLM_JUDGE",
  CODE: "CODE",
  SOURCE_TYPE_UNSPECIFIED: "SOURCE_TYPE_UNSPECIFIED",
} as const;
export type AssessmentSourceType = (typeof AssessmentSourceType)[keyof typeof AssessmentSourceType];

/** The source of an assessment: its type and an identifier (a reviewer, a judge model, a script). */
export class AssessmentSource {
  readonly sourceType: AssessmentSourceType;
  readonly sourceId: string;

  constructor(options: { sourceType: AssessmentSourceType | `${AssessmentSourceType}`; sourceId?: string }) {
    const sourceType = (options as { sourceType?: unknown } | null)?.sourceType;
    if (typeof sourceType !== "string" || !Object.hasOwn(AssessmentSourceType, sourceType)) {
      throw new InvalidArgumentError(
        `Invalid assessment source type ${JSON.stringify(sourceType) ?? String(sourceType)}: expected HUMAN, LLM_JUDGE or CODE.`,
      );
    }
    const sourceId = options.sourceId;
    if (sourceId !== undefined && typeof sourceId !== "string") {
      throw new InvalidArgumentError(
        `Invalid assessment source id: sourceId must be a string, got ${typeof sourceId}.`,
      );
    }
    this.sourceType = sourceType as AssessmentSourceType;
    this.sourceId = sourceId ?? "default";
  }

  /**
   * An {@link AssessmentSource} from what a caller wrote: an instance, a plain object
   * (`{ sourceType: "HUMAN", sourceId: "reviewer" }`, as TypeScript users write it) or MLflow's
   * snake_case dict (`{ source_type, source_id }`). Throws {@link InvalidArgumentError} otherwise.
   */
  static from(value: AssessmentSourceLike): AssessmentSource {
    if (value instanceof AssessmentSource) return value;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InvalidArgumentError(
        `Invalid assessment source: expected { sourceType: "HUMAN" | "LLM_JUDGE" | "CODE", sourceId? }, got ${value === null ? "null" : typeof value}.`,
      );
    }
    const v = value as Record<string, unknown>;
    const sourceType = v.sourceType ?? v.source_type;
    const sourceId = v.sourceId ?? v.source_id;
    return new AssessmentSource({
      sourceType: sourceType as AssessmentSourceType,
      ...(sourceId !== undefined && sourceId !== null ? { sourceId: sourceId as string } : {}),
    });
  }

  toDict(): { source_type: string; source_id: string } {
    return { source_type: this.sourceType, source_id: this.sourceId };
  }

  /** True when both name the same producer (used for the override rule). */
  sameAs(other: AssessmentSource): boolean {
    return this.sourceType === other.sourceType && this.sourceId === other.sourceId;
  }
}

/** What {@link AssessmentSource.from} accepts. */
export type AssessmentSourceLike =
  | AssessmentSource
  | { sourceType: AssessmentSourceType | `${AssessmentSourceType}`; sourceId?: string }
  | { source_type: AssessmentSourceType | `${AssessmentSourceType}`; source_id?: string };

/** An error attached to a feedback value (e.g. a judge that failed). */
export interface AssessmentError {
  errorCode?: string;
  errorMessage?: string;
}

/** Fields shared by feedback and expectations. */
export interface AssessmentInit {
  name: string;
  value: unknown;
  /** An {@link AssessmentSource} or a plain object of its fields (default: CODE). */
  source?: AssessmentSourceLike;
  traceId?: string;
  spanId?: string | null;
  rationale?: string | null;
  metadata?: Record<string, string> | null;
  assessmentId?: string;
  createTime?: number;
  lastUpdateTime?: number;
  overrides?: string | null;
  valid?: boolean;
}

/** Common shape of {@link Feedback} and {@link Expectation}. */
export abstract class Assessment {
  abstract readonly type: "feedback" | "expectation";
  readonly assessmentId: string;
  readonly name: string;
  readonly value: unknown;
  readonly source: AssessmentSource;
  traceId: string;
  readonly spanId: string | null;
  readonly rationale: string | null;
  readonly metadata: Record<string, string> | null;
  /** Milliseconds since the epoch. */
  readonly createTime: number;
  readonly lastUpdateTime: number;
  /** Id of the older assessment this one replaced. */
  overrides: string | null;
  /** False once a newer assessment of the same name from the same source replaced this one. */
  valid: boolean;

  constructor(init: AssessmentInit) {
    if (typeof init.name !== "string" || init.name === "") {
      throw new InvalidArgumentError("An assessment needs a non-empty string `name`.");
    }
    const now = Date.now();
    this.assessmentId = init.assessmentId ?? `a-${randomHex(16)}`;
    this.name = init.name;
    this.value = init.value;
    this.source =
      init.source === undefined
        ? new AssessmentSource({ sourceType: AssessmentSourceType.CODE })
        : AssessmentSource.from(init.source);
    this.traceId = init.traceId ?? "";
    this.spanId = init.spanId ?? null;
    this.rationale = init.rationale ?? null;
    this.metadata = init.metadata ?? null;
    this.createTime = init.createTime ?? now;
    this.lastUpdateTime = init.lastUpdateTime ?? this.createTime;
    this.overrides = init.overrides ?? null;
    this.valid = init.valid ?? true;
  }

  /** MLflow's assessment dict (the REST and `to_dict()` shape). */
  toDict(): Record<string, unknown> {
    const d: Record<string, unknown> = {
      assessment_id: this.assessmentId,
      assessment_name: this.name,
      trace_id: this.traceId,
      source: this.source.toDict(),
      create_time: new Date(this.createTime).toISOString(),
      last_update_time: new Date(this.lastUpdateTime).toISOString(),
    };
    if (this.spanId) d.span_id = this.spanId;
    Object.assign(d, this.valueDict());
    if (this.rationale) d.rationale = this.rationale;
    if (this.metadata) d.metadata = this.metadata;
    if (this.overrides) d.overrides = this.overrides;
    d.valid = this.valid;
    return d;
  }

  protected abstract valueDict(): Record<string, unknown>;

  /** Reads either kind from its dict form. */
  static fromDict(d: Record<string, unknown>): Feedback | Expectation {
    const source = d.source as { source_type?: string; source_id?: string } | undefined;
    const init: AssessmentInit = {
      name: String(d.assessment_name ?? d.name),
      value: undefined,
      source: new AssessmentSource({
        sourceType: (source?.source_type ?? "SOURCE_TYPE_UNSPECIFIED") as AssessmentSourceType,
        ...(source?.source_id !== undefined ? { sourceId: source.source_id } : {}),
      }),
      traceId: String(d.trace_id ?? ""),
      spanId: (d.span_id as string | undefined) ?? null,
      rationale: (d.rationale as string | undefined) ?? null,
      metadata: (d.metadata as Record<string, string> | undefined) ?? null,
      assessmentId: String(d.assessment_id),
      createTime: parseTime(d.create_time),
      lastUpdateTime: parseTime(d.last_update_time ?? d.create_time),
      overrides: (d.overrides as string | undefined) ?? null,
      valid: d.valid !== false,
    };
    const expectation = d.expectation as { value?: unknown; serialized_value?: { value: string } } | undefined;
    if (expectation) {
      const value = expectation.serialized_value ? JSON.parse(expectation.serialized_value.value) : expectation.value;
      return new Expectation({ ...init, value });
    }
    const feedback = (d.feedback ?? {}) as { value?: unknown; error?: { error_code?: string; error_message?: string } };
    const error = feedback.error
      ? {
          ...(feedback.error.error_code !== undefined ? { errorCode: feedback.error.error_code } : {}),
          ...(feedback.error.error_message !== undefined ? { errorMessage: feedback.error.error_message } : {}),
        }
      : null;
    return new Feedback({ ...init, value: feedback.value, error });
  }
}

function parseTime(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  return Date.now();
}

/** A judgement of a trace or span: a score, a label, a thumbs up, with optional rationale. */
export class Feedback extends Assessment {
  readonly type = "feedback" as const;
  readonly error: AssessmentError | null;

  constructor(init: AssessmentInit & { error?: AssessmentError | null }) {
    super(init);
    this.error = init.error ?? null;
  }

  protected valueDict(): Record<string, unknown> {
    const feedback: Record<string, unknown> = { value: this.value ?? null };
    if (this.error) feedback.error = { error_code: this.error.errorCode, error_message: this.error.errorMessage };
    return { feedback };
  }
}

/** A ground-truth value for a trace or span (an expected answer, expected facts). */
export class Expectation extends Assessment {
  readonly type = "expectation" as const;

  protected valueDict(): Record<string, unknown> {
    return { expectation: { value: this.value ?? null } };
  }
}
