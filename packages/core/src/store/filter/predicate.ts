import type { Span } from "../../entities/span.js";
import type { Trace } from "../../entities/trace.js";
import { compileLike, compileRlike } from "./linear-regex.js";
import { type FilterClause, type FilterField, type FilterOperator, parseFilter } from "./parser.js";

/** Reads the value a trace-level filter field names from a trace (undefined when absent). */
export function fieldValue(trace: Trace, field: FilterField): string | number | undefined {
  const info = trace.info;
  switch (field.kind) {
    case "tag":
      return info.tags[field.key];
    case "metadata":
      return info.traceMetadata[field.key];
    case "attribute":
      break;
    default:
      // span and assessment fields hold many values per trace; see clauseMatcher
      return undefined;
  }
  switch (field.name) {
    case "status":
      return info.state;
    case "timestamp_ms":
      return info.requestTime;
    case "execution_time_ms":
      return info.executionDuration ?? undefined;
    case "end_time_ms":
      return info.executionDuration === null ? undefined : info.requestTime + info.executionDuration;
    case "trace_id":
      return info.traceId;
    case "client_request_id":
      return info.clientRequestId ?? undefined;
    case "experiment_id":
      return info.experimentId;
  }
}

/** The value of a span column that `span.<property>` names, as the embedded store stores it. */
export function spanPropertyValue(span: Span, property: "name" | "type" | "status" | "content"): string {
  switch (property) {
    case "name":
      return span.name;
    case "type":
      return span.spanType;
    case "status":
      return span.status.statusCode;
    default:
      return JSON.stringify(span.toDict());
  }
}

/** MLflow stores assessment values JSON-encoded, and filters compare that text. */
export function encodedAssessmentValue(value: unknown): string {
  return JSON.stringify(value ?? null) ?? "null";
}

/**
 * A test of one value. `encoded` values (assessment values, span attributes) are JSON text: as in
 * MLflow, `=` and `!=` accept the value either as written or JSON-encoded (`= 'yes'` matches the
 * stored `"yes"`, `= 'true'` the stored `true`), the pattern operators see the JSON text.
 */
function valueTest(
  op: FilterOperator,
  value: FilterClause["value"],
  encoded: boolean,
): (v: string | number) => boolean {
  const forms = (s: string): string[] => (encoded ? [s, JSON.stringify(s)] : [s]);
  switch (op) {
    case "IN":
    case "NOT IN": {
      const set = new Set((value as string[]).flatMap(forms));
      const want = op === "IN";
      return (v) => set.has(String(v)) === want;
    }
    case "LIKE":
    case "ILIKE": {
      const re = compileLike(String(value), op === "ILIKE");
      return (v) => re.testExact(String(v));
    }
    case "RLIKE": {
      // linear-time engine: a filter from a web page must not be able to stall the process
      const re = compileRlike(String(value));
      return (v) => re.test(String(v));
    }
    case "=":
    case "!=": {
      if (typeof value === "number") return op === "=" ? (v) => v === value : (v) => v !== value;
      const set = new Set(forms(String(value)));
      return op === "=" ? (v) => set.has(String(v)) : (v) => !set.has(String(v));
    }
    default: {
      const target = value as string | number;
      return (v) => {
        const c = v < target ? -1 : v > target ? 1 : 0;
        switch (op) {
          case "<":
            return c < 0;
          case "<=":
            return c <= 0;
          case ">":
            return c > 0;
          default:
            return c >= 0;
        }
      };
    }
  }
}

function clauseMatcher(clause: FilterClause): (t: Trace) => boolean {
  const { field, op, value } = clause;
  if (field.kind === "span" || field.kind === "spanAttribute") {
    // a span clause holds when some span of the trace satisfies it
    const test = valueTest(op, value, field.kind === "spanAttribute");
    if (field.kind === "span") {
      const property = field.property;
      return (t) => t.data.spans.some((s) => test(spanPropertyValue(s, property)));
    }
    const key = field.key;
    return (t) =>
      t.data.spans.some((s) => {
        const raw = s.rawAttribute(key);
        return raw !== undefined && test(raw);
      });
  }
  if (field.kind === "assessment") {
    const values = (t: Trace) =>
      t.info.assessments.filter((a) => a.valid && a.type === field.type && a.name === field.name);
    if (op === "IS NULL") return (t) => values(t).length === 0;
    if (op === "IS NOT NULL") return (t) => values(t).length > 0;
    const test = valueTest(op, value, true);
    return (t) => values(t).some((a) => test(encodedAssessmentValue(a.value)));
  }
  if (op === "IS NULL") return (t) => fieldValue(t, field) === undefined;
  if (op === "IS NOT NULL") return (t) => fieldValue(t, field) !== undefined;
  const test = valueTest(op, value, false);
  return (t) => {
    const v = fieldValue(t, field);
    return v !== undefined && test(v);
  };
}

/** Compiles a filter string to a predicate over traces (for stores that filter in memory). */
export function compileFilterToPredicate(filter: string | undefined): (t: Trace) => boolean {
  const matchers = parseFilter(filter).map(clauseMatcher);
  return (t) => matchers.every((m) => m(t));
}
