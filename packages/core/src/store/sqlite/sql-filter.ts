import type { DatabaseSync } from "node:sqlite";
import { Assessment } from "../../entities/assessment.js";
import { compileLike, rlikeMatches } from "../filter/linear-regex.js";
import { type FilterClause, type FilterField, parseFilter, parseOrderBy } from "../filter/parser.js";
import { encodedAssessmentValue } from "../filter/predicate.js";
import { metadataIndexTerm } from "./schema.js";

/** A parameterised SQL fragment. */
export interface SqlFragment {
  sql: string;
  params: Array<string | number>;
}

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  status: "t.state",
  timestamp_ms: "t.request_time",
  execution_time_ms: "t.execution_duration",
  end_time_ms: "(t.request_time + t.execution_duration)",
  trace_id: "t.trace_id",
  client_request_id: "t.client_request_id",
  experiment_id: "t.experiment_id",
};

const KEYED_TABLES = { tag: "trace_tags", metadata: "trace_metadata" } as const;
const SPAN_COLUMNS = { name: "s.name", type: "s.span_type", status: "s.status", content: "s.content" } as const;

/**
 * One comparison of `column` with the clause's value. `encoded` columns hold JSON text (assessment
 * values, span attributes): `=`, `!=` and IN accept the value as written or JSON-encoded, exactly
 * as the in-memory predicate does (see `valueTest` in filter/predicate.ts).
 */
function comparison(column: string, clause: FilterClause, params: Array<string | number>, encoded = false): string {
  const { op, value } = clause;
  const forms = (s: string): string[] => (encoded ? [s, JSON.stringify(s)] : [s]);
  switch (op) {
    case "LIKE":
      // the connection runs with case_sensitive_like = ON, and SQL LIKE has no escape character
      params.push(String(value));
      return `${column} LIKE ?`;
    case "ILIKE":
      // SQLite's lower() folds ASCII only: fold in JavaScript, the same way the in-memory store does
      params.push(String(value));
      return `tw_ilike(?, ${column})`;
    case "RLIKE":
      params.push(String(value));
      return `${column} REGEXP ?`;
    case "IN":
    case "NOT IN": {
      const list = (value as string[]).flatMap(forms);
      params.push(...list);
      return `${column} ${op} (${list.map(() => "?").join(", ")})`;
    }
    case "=":
    case "!=": {
      if (typeof value === "number" || !encoded) {
        params.push(value as string | number);
        return `${column} ${op} ?`;
      }
      const list = forms(String(value));
      params.push(...list);
      return `${op === "!=" ? "NOT " : ""}${column} IN (${list.map(() => "?").join(", ")})`;
    }
    default:
      params.push(value as string | number);
      return `${column} ${op} ?`;
  }
}

/**
 * Tells whether `key = value` holds for many traces of `table` (the store counts, capped). A
 * common value is best tested trace by trace while scanning in the requested order (the first
 * page comes after a few hundred probes); a rare one is best looked up in the (key, value) index.
 */
export type IsCommonValue = (table: string, key: string, value: string | number) => boolean;

function clauseSql(clause: FilterClause, params: Array<string | number>, isCommon?: IsCommonValue): string {
  const f = clause.field;
  switch (f.kind) {
    case "attribute":
      return comparison(ATTRIBUTE_COLUMNS[f.name] as string, clause, params);
    case "span":
      return `EXISTS (SELECT 1 FROM spans s WHERE s.trace_rk = t.trace_rk AND ${comparison(SPAN_COLUMNS[f.property], clause, params)})`;
    case "spanAttribute": {
      params.push(f.key);
      const test = comparison("je.value", clause, params, true);
      return `EXISTS (SELECT 1 FROM spans s, json_each(s.content, '$.attributes') je WHERE s.trace_rk = t.trace_rk AND je.key = ? AND ${test})`;
    }
    case "assessment": {
      params.push(f.type, f.name);
      const base =
        "SELECT 1 FROM assessments a WHERE a.trace_rk = t.trace_rk AND a.kind = ? AND a.name = ? AND a.valid = 1";
      if (clause.op === "IS NULL") return `NOT EXISTS (${base})`;
      if (clause.op === "IS NOT NULL") return `EXISTS (${base})`;
      return `EXISTS (${base} AND ${comparison("tw_assessment_value(a.content)", clause, params, true)})`;
    }
    default: {
      const table = KEYED_TABLES[f.kind];
      params.push(f.key);
      if (clause.op === "IS NULL" || clause.op === "IS NOT NULL") {
        const exists = `EXISTS (SELECT 1 FROM ${table} k WHERE k.trace_rk = t.trace_rk AND k.key = ?)`;
        return clause.op === "IS NULL" ? `NOT ${exists}` : exists;
      }
      const inner = comparison("k.value", clause, params);
      if (clause.op === "=" && isCommon?.(table, f.key, clause.value as string | number)) {
        return `EXISTS (SELECT 1 FROM ${table} k WHERE k.trace_rk = t.trace_rk AND k.key = ? AND ${inner})`;
      }
      const indexed = f.kind === "metadata" ? metadataIndexTerm("k", f.key) : "";
      return `t.trace_rk IN (SELECT k.trace_rk FROM ${table} k WHERE k.key = ? AND ${inner}${indexed})`;
    }
  }
}

/**
 * The SQL function behind `X REGEXP P` (SQLite calls `regexp(P, X)`), which RLIKE compiles to:
 * RE2 semantics on a linear-time engine, like the in-memory store. The pattern was validated when
 * the filter was parsed.
 */
export function sqlRegexp(pattern: unknown, value: unknown): number {
  return value !== null && value !== undefined && rlikeMatches(String(pattern), String(value)) ? 1 : 0;
}

/** `tw_ilike(P, X)`: ILIKE with JavaScript's Unicode case folding (the in-memory store's). */
function sqlIlike(pattern: unknown, value: unknown): number {
  return value !== null && value !== undefined && compileLike(String(pattern), true).testExact(String(value)) ? 1 : 0;
}

/** `tw_assessment_value(content)`: an assessment row's value, JSON-encoded as MLflow compares it. */
function sqlAssessmentValue(content: unknown): string | null {
  if (typeof content !== "string") return null;
  return encodedAssessmentValue(Assessment.fromDict(JSON.parse(content) as Record<string, unknown>).value);
}

/** Registers the functions that compiled filters call (`regexp`, `tw_ilike`, `tw_assessment_value`). */
export function registerFilterFunctions(db: DatabaseSync): void {
  db.function("regexp", { deterministic: true }, sqlRegexp);
  db.function("tw_ilike", { deterministic: true }, sqlIlike);
  db.function("tw_assessment_value", { deterministic: true }, sqlAssessmentValue);
}

/** Compiles a filter string to a parameterised WHERE fragment over `traces t` (true when empty). */
export function filterToSql(filter: string | undefined, isCommon?: IsCommonValue): SqlFragment {
  const clauses = parseFilter(filter);
  const params: Array<string | number> = [];
  if (clauses.length === 0) return { sql: "1", params };
  return { sql: clauses.map((c) => `(${clauseSql(c, params, isCommon)})`).join(" AND "), params };
}

function orderExpression(field: FilterField, params: Array<string | number>): string {
  if (field.kind === "attribute") return ATTRIBUTE_COLUMNS[field.name] as string;
  if (field.kind !== "tag" && field.kind !== "metadata") throw new Error(`cannot order by ${field.kind} fields`);
  params.push(field.key);
  return `(SELECT k.value FROM ${KEYED_TABLES[field.kind]} k WHERE k.trace_rk = t.trace_rk AND k.key = ?)`;
}

/** Compiles order-by clauses (default `timestamp_ms DESC`), always ending with the trace id. */
export function orderByToSql(orderBy: string[] | undefined): SqlFragment {
  const params: Array<string | number> = [];
  const parts = parseOrderBy(orderBy).map(
    ({ field, ascending }) => `${orderExpression(field, params)} ${ascending ? "ASC" : "DESC"} NULLS LAST`,
  );
  parts.push("t.trace_id ASC");
  return { sql: parts.join(", "), params };
}
