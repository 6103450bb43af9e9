import type { DatabaseSync } from "node:sqlite";
import { TraceMetadataKey } from "../../constants.js";
import { Assessment } from "../../entities/assessment.js";
import { compileLike, rlikeMatches } from "../filter/linear-regex.js";
import { type FilterClause, type FilterField, parseFilter, parseOrderBy } from "../filter/parser.js";
import { encodedAssessmentValue } from "../filter/predicate.js";
import { isIndexedKey, jsonMemberPath, KeyKind, SPAN_KEYS_PER_TRACE, traceIdKey } from "./schema.js";

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

const KEY_KINDS = { tag: KeyKind.TAG, metadata: KeyKind.METADATA } as const;

/** The spans of trace `t` (its range of span keys, see SPAN_KEYS_PER_TRACE). */
const SPANS_OF_TRACE = `s.span_key BETWEEN t.trace_rk * ${SPAN_KEYS_PER_TRACE} AND t.trace_rk * ${SPAN_KEYS_PER_TRACE} + ${SPAN_KEYS_PER_TRACE - 1}`;

/** The stored value of tag or metadata `key` of trace `t`, or NULL (pushes its parameter). */
function keyedValue(kind: "tag" | "metadata", key: string, params: Array<string | number>): string {
  // inputs, outputs and the schema version are columns, inputs and outputs 0 when the same as
  // the preview (schema.ts, v3)
  if (kind === "metadata" && key === TraceMetadataKey.INPUTS) {
    return "iif(typeof(t.trace_inputs) = 'integer', t.request_preview, t.trace_inputs)";
  }
  if (kind === "metadata" && key === TraceMetadataKey.SCHEMA_VERSION) return "t.schema_version";
  if (kind === "metadata" && key === TraceMetadataKey.OUTPUTS) {
    return "iif(typeof(t.trace_outputs) = 'integer', t.response_preview, t.trace_outputs)";
  }
  params.push(jsonMemberPath(key));
  return kind === "tag" ? "json_extract(t.tags, ?)" : "json_extract(t.metadata, ?)";
}

/** The trace ids of `ids` as the trace id index keys them (one parameter each). */
const idKeys = (ids: readonly unknown[]): string =>
  `SELECT ${traceIdKey("p.column1")} FROM (VALUES ${ids.map(() => "(?)").join(", ")}) p`;
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
export type IsCommonValue = (kind: KeyKind, key: string, value: string) => boolean;

function clauseSql(clause: FilterClause, params: Array<string | number>, isCommon?: IsCommonValue): string {
  const f = clause.field;
  switch (f.kind) {
    case "attribute": {
      if (f.name === "trace_id" && (clause.op === "=" || clause.op === "IN")) {
        // through the trace id index (which keys a shortened id): the key first, then the id
        const ids = clause.op === "=" ? [clause.value] : (clause.value as string[]);
        params.push(...(ids as string[]));
        const byKey = `${traceIdKey("t.trace_id")} IN (${idKeys(ids)})`;
        return `${byKey} AND ${comparison("t.trace_id", clause, params)}`;
      }
      return comparison(ATTRIBUTE_COLUMNS[f.name] as string, clause, params);
    }
    case "span":
      return `EXISTS (SELECT 1 FROM spans s WHERE ${SPANS_OF_TRACE} AND ${comparison(SPAN_COLUMNS[f.property], clause, params)})`;
    case "spanAttribute": {
      params.push(f.key);
      const test = comparison("je.value", clause, params, true);
      return `EXISTS (SELECT 1 FROM spans s, json_each(s.content, '$.attributes') je WHERE ${SPANS_OF_TRACE} AND je.key = ? AND ${test})`;
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
      const kind = KEY_KINDS[f.kind];
      const probe =
        clause.op === "IS NULL" ||
        clause.op === "IS NOT NULL" ||
        !isIndexedKey(kind, f.key) ||
        (clause.op === "=" && isCommon?.(kind, f.key, clause.value as string) === true);
      if (probe) {
        // tested on each trace's own row: IS [NOT] NULL, keys without index entries, and values so
        // common that the first page comes after a few probes in the requested order
        const value = keyedValue(f.kind, f.key, params);
        if (clause.op === "IS NULL" || clause.op === "IS NOT NULL") return `${value} ${clause.op}`;
        return comparison(value, clause, params);
      }
      params.push(kind, f.key);
      const inner = comparison("v.value", clause, params);
      return `t.trace_rk IN (SELECT v.trace_rk FROM trace_key_values v WHERE v.key_id = (SELECT key_id FROM trace_keys WHERE kind = ? AND key = ?) AND ${inner})`;
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
  return keyedValue(field.kind, field.key, params);
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
