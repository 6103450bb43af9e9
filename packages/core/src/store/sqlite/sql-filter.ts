import { rlikeMatches } from "../filter/linear-regex.js";
import { type FilterClause, type FilterField, parseFilter, parseOrderBy } from "../filter/parser.js";

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

/** Turns `%`/`_` patterns into LIKE with an explicit escape so user text cannot inject wildcards. */
function comparison(column: string, clause: FilterClause, params: Array<string | number>): string {
  const { op, value } = clause;
  switch (op) {
    case "LIKE":
      params.push(String(value));
      return `${column} LIKE ?`;
    case "ILIKE":
      params.push(String(value));
      return `lower(${column}) LIKE lower(?)`;
    case "RLIKE":
      params.push(String(value));
      return `${column} REGEXP ?`;
    case "IN":
    case "NOT IN": {
      const list = value as Array<string | number>;
      params.push(...list);
      return `${column} ${op} (${list.map(() => "?").join(", ")})`;
    }
    default:
      params.push(value as string | number);
      return `${column} ${op} ?`;
  }
}

function clauseSql(clause: FilterClause, params: Array<string | number>): string {
  const f = clause.field;
  if (f.kind === "attribute") {
    const column = ATTRIBUTE_COLUMNS[f.name] as string;
    return comparison(column, clause, params);
  }
  const table = KEYED_TABLES[f.kind];
  if (clause.op === "IS NULL" || clause.op === "IS NOT NULL") {
    params.push(f.key);
    const exists = `EXISTS (SELECT 1 FROM ${table} k WHERE k.trace_id = t.trace_id AND k.key = ?)`;
    return clause.op === "IS NULL" ? `NOT ${exists}` : exists;
  }
  params.push(f.key);
  const inner = comparison("k.value", clause, params);
  return `t.trace_id IN (SELECT k.trace_id FROM ${table} k WHERE k.key = ? AND ${inner})`;
}

/**
 * The SQL function behind `X REGEXP P` (SQLite calls `regexp(P, X)`), which RLIKE compiles to:
 * RE2 semantics on a linear-time engine, like the in-memory store. Register it on the connection
 * as `regexp`. The pattern was validated when the filter was parsed.
 */
export function sqlRegexp(pattern: unknown, value: unknown): number {
  return value !== null && value !== undefined && rlikeMatches(String(pattern), String(value)) ? 1 : 0;
}

/** Compiles a filter string to a parameterised WHERE fragment over `traces t` (true when empty). */
export function filterToSql(filter: string | undefined): SqlFragment {
  const clauses = parseFilter(filter);
  const params: Array<string | number> = [];
  if (clauses.length === 0) return { sql: "1", params };
  return { sql: clauses.map((c) => `(${clauseSql(c, params)})`).join(" AND "), params };
}

function orderExpression(field: FilterField, params: Array<string | number>): string {
  if (field.kind === "attribute") return ATTRIBUTE_COLUMNS[field.name] as string;
  params.push(field.key);
  return `(SELECT k.value FROM ${KEYED_TABLES[field.kind]} k WHERE k.trace_id = t.trace_id AND k.key = ?)`;
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
