import { InvalidFilterError } from "../../errors.js";
import { compileRlike } from "./linear-regex.js";
import { type Token, tokenize } from "./tokenizer.js";

/** A trace field a clause can test. */
export type FilterField =
  | { kind: "attribute"; name: AttributeName }
  | { kind: "tag"; key: string }
  | { kind: "metadata"; key: string };

/** Trace attributes that filters and order-by clauses can name. */
export type AttributeName =
  | "status"
  | "timestamp_ms"
  | "execution_time_ms"
  | "end_time_ms"
  | "trace_id"
  | "client_request_id"
  | "experiment_id";

export type FilterOperator =
  | "="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "LIKE"
  | "ILIKE"
  | "RLIKE"
  | "IN"
  | "NOT IN"
  | "IS NULL"
  | "IS NOT NULL";

/** One `<field> <op> <value>` clause; clauses of a filter are joined by AND. */
export interface FilterClause {
  field: FilterField;
  op: FilterOperator;
  /** A string or number, a list for IN / NOT IN, null for IS [NOT] NULL. */
  value: string | number | Array<string | number> | null;
}

const NUMERIC = new Set<AttributeName>(["timestamp_ms", "execution_time_ms", "end_time_ms"]);
const NUMERIC_OPS = new Set<FilterOperator>(["=", "!=", "<", "<=", ">", ">="]);
const STRING_OPS = new Set<FilterOperator>(["=", "!=", "LIKE", "ILIKE", "RLIKE", "IN", "NOT IN"]);
const KEYED_OPS = new Set<FilterOperator>([
  "=",
  "!=",
  "LIKE",
  "ILIKE",
  "RLIKE",
  "IN",
  "NOT IN",
  "IS NULL",
  "IS NOT NULL",
]);

const ATTRIBUTE_ALIASES: Record<string, AttributeName | { tag: string } | { metadata: string }> = {
  status: "status",
  state: "status",
  timestamp: "timestamp_ms",
  timestamp_ms: "timestamp_ms",
  request_time: "timestamp_ms",
  execution_time: "execution_time_ms",
  execution_time_ms: "execution_time_ms",
  execution_duration: "execution_time_ms",
  end_time: "end_time_ms",
  end_time_ms: "end_time_ms",
  request_id: "trace_id",
  trace_id: "trace_id",
  client_request_id: "client_request_id",
  experiment_id: "experiment_id",
  name: { tag: "mlflow.traceName" },
  run_id: { metadata: "mlflow.sourceRun" },
};

const PREFIXES: Record<string, "attribute" | "tag" | "metadata" | "unsupported"> = {
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  trace: "attribute",
  tag: "tag",
  tags: "tag",
  metadata: "metadata",
  request_metadata: "metadata",
  span: "unsupported",
  feedback: "unsupported",
  expectation: "unsupported",
};

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly input: string,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private fail(message: string, token: Token | undefined): never {
    const position = token ? token.position : this.input.length;
    const text = token ? token.text : "<end of input>";
    throw new InvalidFilterError(
      `Invalid filter string at position ${position} (near "${text}"): ${message}`,
      text,
      position,
    );
  }

  parse(): FilterClause[] {
    const clauses: FilterClause[] = [];
    if (this.tokens.length === 0) return clauses;
    for (;;) {
      clauses.push(this.clause());
      const next = this.peek();
      if (!next) return clauses;
      if (next.kind === "keyword" && next.value === "AND") {
        this.pos++;
        if (!this.peek()) this.fail("expected a clause after AND.", undefined);
        continue;
      }
      if (next.kind === "keyword" && next.value === "OR") {
        this.fail("OR is not supported; clauses can only be joined with AND.", next);
      }
      this.fail("expected AND or the end of the filter.", next);
    }
  }

  private clause(): FilterClause {
    const field = this.field();
    const op = this.operator(field);
    const valueToken = this.peek();
    const value = this.value(field, op);
    if (op === "RLIKE") this.checkPattern(String(value), valueToken);
    return { field: field.field, op, value };
  }

  /** A pattern the engine cannot compile is the filter's fault: say so now, not mid-search. */
  private checkPattern(pattern: string, token: Token | undefined): void {
    try {
      compileRlike(pattern);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.fail(`invalid regular expression for RLIKE (RE2 syntax): ${reason}.`, token);
    }
  }

  private identifierPart(what: string): Token {
    const t = this.peek();
    if (t?.kind !== "ident") {
      if (t?.kind === "keyword") return this.take();
      this.fail(`expected ${what}.`, t);
    }
    return this.take();
  }

  private take(): Token {
    const t = this.tokens[this.pos++];
    if (!t) this.fail("unexpected end of input.", undefined);
    return t;
  }

  field(): { field: FilterField; token: Token } {
    const first = this.peek();
    if (!first || (first.kind !== "ident" && first.kind !== "keyword")) {
      this.fail("expected a field such as attributes.status, tags.<key> or metadata.<key>.", first);
    }
    if (first.kind === "keyword") this.fail(`"${first.text}" cannot start a clause; expected a field name.`, first);
    this.pos++;
    let prefix: string | undefined;
    let keyToken = first;
    let key = first.value;
    if (this.peek()?.kind === "dot" && !first.quoted) {
      prefix = first.value.toLowerCase();
      this.pos++;
      keyToken = this.identifierPart("a key after the dot");
      key = keyToken.value;
      // unquoted keys may themselves contain dots: tags.mlflow.traceName
      while (!keyToken.quoted && this.peek()?.kind === "dot") {
        this.pos++;
        const part = this.identifierPart("a key part after the dot");
        key += `.${part.value}`;
      }
    }
    if (prefix === undefined) return { field: this.attribute(key, first), token: first };
    const kind = PREFIXES[prefix];
    if (kind === undefined) {
      this.fail(`unknown field type "${prefix}"; use attributes, tags or metadata.`, first);
    }
    if (kind === "unsupported") this.fail(`filtering on "${prefix}" fields is not supported yet.`, first);
    if (kind === "tag") return { field: { kind: "tag", key }, token: keyToken };
    if (kind === "metadata") return { field: { kind: "metadata", key }, token: keyToken };
    return { field: this.attribute(key, keyToken), token: keyToken };
  }

  private attribute(name: string, token: Token): FilterField {
    const alias = ATTRIBUTE_ALIASES[name.toLowerCase()];
    if (alias === undefined) {
      this.fail(
        `unknown attribute "${name}"; expected one of status, timestamp_ms, execution_time_ms, end_time_ms, name, run_id, trace_id, client_request_id.`,
        token,
      );
    }
    if (typeof alias === "string") return { kind: "attribute", name: alias };
    if ("tag" in alias) return { kind: "tag", key: alias.tag };
    return { kind: "metadata", key: alias.metadata };
  }

  private operator(field: { field: FilterField; token: Token }): FilterOperator {
    const t = this.peek();
    if (!t) this.fail("expected a comparison operator.", undefined);
    let op: FilterOperator;
    if (t.kind === "op") {
      this.pos++;
      op = t.value as FilterOperator;
    } else if (t.kind === "keyword" && ["LIKE", "ILIKE", "RLIKE", "IN"].includes(t.value)) {
      this.pos++;
      op = t.value as FilterOperator;
    } else if (t.kind === "keyword" && t.value === "NOT") {
      this.pos++;
      const n = this.peek();
      if (n?.kind !== "keyword" || n.value !== "IN") this.fail("expected IN after NOT.", n);
      this.pos++;
      op = "NOT IN";
    } else if (t.kind === "keyword" && t.value === "IS") {
      this.pos++;
      let not = false;
      if (this.peek()?.kind === "keyword" && this.peek()?.value === "NOT") {
        not = true;
        this.pos++;
      }
      const n = this.peek();
      if (n?.kind !== "keyword" || n.value !== "NULL") this.fail("expected NULL after IS.", n);
      this.pos++;
      op = not ? "IS NOT NULL" : "IS NULL";
    } else {
      this.fail("expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL).", t);
    }
    const f = field.field;
    const allowed = f.kind === "attribute" ? (NUMERIC.has(f.name) ? NUMERIC_OPS : STRING_OPS) : KEYED_OPS;
    if (!allowed.has(op)) {
      this.fail(`operator ${op} cannot be used with ${describe(f)}; allowed: ${[...allowed].join(", ")}.`, t);
    }
    return op;
  }

  private value(field: { field: FilterField }, op: FilterOperator): FilterClause["value"] {
    if (op === "IS NULL" || op === "IS NOT NULL") return null;
    const numeric = field.field.kind === "attribute" && NUMERIC.has(field.field.name);
    if (op === "IN" || op === "NOT IN") {
      const open = this.peek();
      if (open?.kind !== "lparen") this.fail(`expected "(" to start the ${op} list.`, open);
      this.pos++;
      const values: Array<string | number> = [];
      for (;;) {
        values.push(this.scalar(numeric, field.field));
        const t = this.peek();
        if (t?.kind === "comma") {
          this.pos++;
          continue;
        }
        if (t?.kind === "rparen") {
          this.pos++;
          return values;
        }
        this.fail(`expected "," or ")" in the ${op} list.`, t);
      }
    }
    return this.scalar(numeric, field.field);
  }

  private scalar(numeric: boolean, field: FilterField): string | number {
    const t = this.peek();
    if (!t) this.fail(`expected a value for ${describe(field)}.`, undefined);
    if (numeric) {
      if (t.kind !== "number") this.fail(`${describe(field)} takes a number, e.g. 1700000000000.`, t);
      this.pos++;
      return Number(t.value);
    }
    if (t.kind !== "string") {
      this.fail(`${describe(field)} takes a quoted string, e.g. 'value'.`, t);
    }
    this.pos++;
    return t.value;
  }
}

function describe(f: FilterField): string {
  if (f.kind === "attribute") return `attributes.${f.name}`;
  return `${f.kind === "tag" ? "tags" : "metadata"}.${f.key}`;
}

const cache = new Map<string, FilterClause[]>();

/**
 * Parses an MLflow trace filter string into clauses joined by AND. Throws
 * {@link InvalidFilterError} naming the offending token and its position.
 */
export function parseFilter(filter: string | undefined | null): FilterClause[] {
  if (filter === undefined || filter === null || filter.trim() === "") return [];
  const hit = cache.get(filter);
  if (hit) return hit;
  const clauses = new Parser(tokenize(filter), filter).parse();
  if (cache.size > 500) cache.clear();
  cache.set(filter, clauses);
  return clauses;
}

/** One `order by` key. */
export interface OrderByClause {
  field: FilterField;
  ascending: boolean;
}

/** Parses `["timestamp_ms DESC", "tags.env ASC"]`; the default is `timestamp_ms DESC`. */
export function parseOrderBy(orderBy: string[] | undefined): OrderByClause[] {
  if (!orderBy || orderBy.length === 0)
    return [{ field: { kind: "attribute", name: "timestamp_ms" }, ascending: false }];
  return orderBy.map((raw) => {
    const tokens = tokenize(raw);
    let direction = "ASC";
    const last = tokens.at(-1);
    if (last && last.kind === "ident" && /^(asc|desc)$/i.test(last.value)) {
      direction = last.value.toUpperCase();
      tokens.pop();
    }
    if (tokens.length === 0) {
      throw new InvalidFilterError(`Invalid order_by clause "${raw}": expected a field name.`, raw, 0);
    }
    const parser = new Parser(tokens, raw);
    const { field } = parser.field();
    const rest = parser.peek();
    if (rest) {
      throw new InvalidFilterError(
        `Invalid order_by clause "${raw}" at position ${rest.position}: expected ASC or DESC but found "${rest.text}".`,
        rest.text,
        rest.position,
      );
    }
    return { field, ascending: direction === "ASC" };
  });
}
