import type { Trace } from "../../entities/trace.js";
import { compileLike, compileRlike } from "./linear-regex.js";
import { type FilterClause, type FilterField, parseFilter } from "./parser.js";

/** Reads the value a filter field names from a trace (undefined when absent). */
export function fieldValue(trace: Trace, field: FilterField): string | number | undefined {
  const info = trace.info;
  if (field.kind === "tag") return info.tags[field.key];
  if (field.kind === "metadata") return info.traceMetadata[field.key];
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

function clauseMatcher(clause: FilterClause): (t: Trace) => boolean {
  const { field, op, value } = clause;
  switch (op) {
    case "IS NULL":
      return (t) => fieldValue(t, field) === undefined;
    case "IS NOT NULL":
      return (t) => fieldValue(t, field) !== undefined;
    case "IN":
    case "NOT IN": {
      const set = new Set((value as Array<string | number>).map(String));
      const want = op === "IN";
      return (t) => {
        const v = fieldValue(t, field);
        return v !== undefined && set.has(String(v)) === want;
      };
    }
    case "LIKE":
    case "ILIKE": {
      const re = compileLike(String(value), op === "ILIKE");
      return (t) => {
        const v = fieldValue(t, field);
        return v !== undefined && re.testExact(String(v));
      };
    }
    case "RLIKE": {
      // linear-time engine: a filter from a web page must not be able to stall the process
      const re = compileRlike(String(value));
      return (t) => {
        const v = fieldValue(t, field);
        return v !== undefined && re.test(String(v));
      };
    }
    default: {
      const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
      return (t) => {
        const v = fieldValue(t, field);
        if (v === undefined) return false;
        const c = cmp(v, value as string | number);
        switch (op) {
          case "=":
            return c === 0;
          case "!=":
            return c !== 0;
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

/** Compiles a filter string to a predicate over traces (for stores that filter in memory). */
export function compileFilterToPredicate(filter: string | undefined): (t: Trace) => boolean {
  const matchers = parseFilter(filter).map(clauseMatcher);
  return (t) => matchers.every((m) => m(t));
}
