import { TraceMetadataKey, TraceTagKey } from "../../constants.js";
import { InvalidFilterError } from "../../errors.js";
import { compileRlike } from "./linear-regex.js";
import { type Token, tokenize } from "./tokenizer.js";

/**
 * The trace search grammar, as MLflow's server defines it (`SearchTraceUtils` in
 * `mlflow/utils/search_utils.py`): every filter it accepts with a meaning parses here to the same
 * meaning, and what it rejects is rejected here too, so a filter that works against the embedded or
 * in-memory store also works against an MLflow server. Where MLflow accepts a string only by
 * accident (a dangling AND, `tags. = 'x'`, `timestamp_ms > 'abc'`, an RLIKE pattern that cannot
 * compile) this parser throws {@link InvalidFilterError} instead.
 */

/** A trace field a clause can test. */
export type FilterField =
  | { kind: "attribute"; name: AttributeName }
  | { kind: "tag"; key: string }
  | { kind: "metadata"; key: string }
  /** Some span of the trace has this name, type, status or (for LIKE / ILIKE) JSON content. */
  | { kind: "span"; property: SpanProperty }
  /** Some span of the trace has this attribute, compared as MLflow stores it (JSON-encoded). */
  | { kind: "spanAttribute"; key: string }
  /** Some valid assessment of this type and name, compared on its JSON-encoded value. */
  | { kind: "assessment"; type: "feedback" | "expectation"; name: string };

/** Trace attributes that filters and order-by clauses can name. */
export type AttributeName =
  | "status"
  | "timestamp_ms"
  | "execution_time_ms"
  | "end_time_ms"
  | "trace_id"
  | "client_request_id"
  | "experiment_id";

/** The span columns `span.<property>` names. */
export type SpanProperty = "name" | "type" | "status" | "content";

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
  /** A string or number, a list of strings for IN / NOT IN, null for IS [NOT] NULL. */
  value: string | number | string[] | null;
}

const COMPARISONS: FilterOperator[] = ["=", "!=", "<", "<=", ">", ">="];
const NUMERIC_OPS: FilterOperator[] = COMPARISONS;
const STRING_ATTRIBUTE_OPS: FilterOperator[] = ["=", "!=", "LIKE", "ILIKE", "RLIKE", "IN", "NOT IN"];
// `name` and `run_id` are a tag and a metadata entry on the server, which refuses IN for them
const MAPPED_ATTRIBUTE_OPS: FilterOperator[] = ["=", "!=", "LIKE", "ILIKE", "RLIKE"];
const KEYED_OPS: FilterOperator[] = ["=", "!=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"];
const SPAN_OPS: FilterOperator[] = ["=", "!=", "LIKE", "ILIKE", "RLIKE", "IN", "NOT IN"];
const SPAN_CONTENT_OPS: FilterOperator[] = ["LIKE", "ILIKE"];

/** What a field name resolves to, with the operators and the value type it takes. */
interface FieldSpec {
  field: FilterField;
  ops: readonly FilterOperator[];
  numeric: boolean;
  /** The field as written, for messages. */
  label: string;
}

type AttributeTarget = AttributeName | { tag: string } | { metadata: string };

/** Attribute keys a filter can name (`VALID_SEARCH_ATTRIBUTE_KEYS`); case-sensitive, as in MLflow. */
const SEARCH_ATTRIBUTES: Record<string, AttributeTarget> = {
  status: "status",
  timestamp: "timestamp_ms",
  timestamp_ms: "timestamp_ms",
  execution_time: "execution_time_ms",
  execution_time_ms: "execution_time_ms",
  end_time: "end_time_ms",
  end_time_ms: "end_time_ms",
  request_id: "trace_id",
  client_request_id: "client_request_id",
  name: { tag: TraceTagKey.TRACE_NAME },
  run_id: { metadata: TraceMetadataKey.SOURCE_RUN },
};

/** Attribute keys an order-by clause can name (`VALID_ORDER_BY_ATTRIBUTE_KEYS`). */
const ORDER_BY_ATTRIBUTES: Record<string, AttributeTarget> = {
  experiment_id: "experiment_id",
  timestamp: "timestamp_ms",
  timestamp_ms: "timestamp_ms",
  execution_time: "execution_time_ms",
  execution_time_ms: "execution_time_ms",
  end_time: "end_time_ms",
  end_time_ms: "end_time_ms",
  status: "status",
  request_id: "trace_id",
  name: { tag: TraceTagKey.TRACE_NAME },
  run_id: { metadata: TraceMetadataKey.SOURCE_RUN },
};

const NUMERIC = new Set<AttributeName>(["timestamp_ms", "execution_time_ms", "end_time_ms"]);

type Prefix = "attribute" | "tag" | "metadata" | "span" | "feedback" | "expectation";

/** Entity types and their aliases; case-sensitive, as in MLflow. */
const PREFIXES: Record<string, Prefix> = {
  attribute: "attribute",
  attributes: "attribute",
  trace: "attribute",
  tag: "tag",
  tags: "tag",
  metadata: "metadata",
  request_metadata: "metadata",
  span: "span",
  feedback: "feedback",
  expectation: "expectation",
};

const PREFIX_LIST = "attributes, tags, metadata, span, feedback or expectation";
const SPAN_PROPERTIES = new Set<string>(["name", "type", "status", "content"]);

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly input: string,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  fail(message: string, token: Token | undefined): never {
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
        const after = this.peek();
        if (!after) this.fail("expected a clause after AND.", undefined);
        if (after.kind === "keyword" && after.value === "AND") this.fail("AND twice in a row.", after);
        continue;
      }
      if (next.kind === "keyword" && next.value === "OR") {
        this.fail("OR is not supported; clauses can only be joined with AND.", next);
      }
      this.fail("expected AND or the end of the filter.", next);
    }
  }

  private clause(): FilterClause {
    const spec = this.field(SEARCH_ATTRIBUTES);
    const opToken = this.peek();
    const op = this.operator();
    if (!spec.ops.includes(op)) {
      this.fail(`operator ${op} cannot be used with ${spec.label}; allowed: ${spec.ops.join(", ")}.`, opToken);
    }
    const valueToken = this.peek();
    const value = this.value(spec, op);
    if (op === "RLIKE") this.checkPattern(String(value), valueToken);
    return { field: spec.field, op, value };
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

  /** Unquoted name parts joined by dots (`mlflow.traceName`); keywords are names after a dot. */
  private dottedName(what: string): { name: string; first: Token } {
    const first = this.peek();
    if (first?.kind !== "ident" && first?.kind !== "keyword") this.fail(`expected ${what}.`, first);
    if (first.kind === "ident" && first.quoted) this.fail(`expected ${what}.`, first);
    this.pos++;
    let name = first.text;
    while (this.peek()?.kind === "dot") {
      this.pos++;
      const part = this.peek();
      if ((part?.kind !== "ident" && part?.kind !== "keyword") || (part.kind === "ident" && part.quoted)) {
        this.fail(`expected a name part after the dot in "${name}.".`, part);
      }
      this.pos++;
      name += `.${part.text}`;
    }
    return { name, first };
  }

  /**
   * A key after `tags.`, `metadata.`, `feedback.` or `expectation.`: unquoted parts joined by dots,
   * or one backquoted or double-quoted key, which may hold any character (`tags."a.b"`).
   */
  private key(prefix: string): { key: string; token: Token } {
    const t = this.peek();
    // MLflow strips backquotes, double or single quotes off a key
    if (t && ((t.kind === "ident" && t.quoted) || t.kind === "string")) {
      this.pos++;
      if (t.value === "") this.fail(`the key after "${prefix}." is empty.`, t);
      if (this.peek()?.kind === "dot") {
        this.fail(`a quoted key must be the whole key; quote all of it, e.g. ${prefix}.\`a.b\`.`, this.peek());
      }
      return { key: t.value, token: t };
    }
    if (t?.kind !== "ident" && t?.kind !== "keyword") {
      this.fail(`expected a key after "${prefix}.", e.g. ${prefix}.env or ${prefix}.\`my-key\`.`, t);
    }
    const { name } = this.dottedName("a key");
    return { key: name, token: t };
  }

  field(attributes: Record<string, AttributeTarget>): FieldSpec {
    const first = this.peek();
    if (first?.kind !== "ident") {
      if (first?.kind === "keyword") this.fail(`"${first.text}" cannot start a clause; expected a field name.`, first);
      this.fail("expected a field such as attributes.status, tags.<key> or metadata.<key>.", first);
    }
    this.pos++;
    if (this.peek()?.kind !== "dot") {
      if (first.quoted) {
        this.fail(`a quoted name needs a field type before it, e.g. tags.${first.text}.`, first);
      }
      return this.attribute(first.text, first, attributes, first.text);
    }
    this.pos++;
    // MLflow trims backquotes off the entity type: `tags`.env is tags.env
    const prefixName = first.value;
    const prefix = PREFIXES[prefixName];
    if (prefix === undefined) {
      const hint = PREFIXES[prefixName.toLowerCase()]
        ? ` (field types are case-sensitive: write ${prefixName.toLowerCase()})`
        : "";
      this.fail(`unknown field type "${prefixName}"${hint}; use ${PREFIX_LIST}.`, first);
    }
    if (prefix === "attribute") {
      const t = this.peek();
      if (t?.kind !== "ident" || t.quoted) this.fail(`expected an attribute name after "${prefixName}.".`, t);
      this.pos++;
      if (this.peek()?.kind === "dot") this.fail(`"${prefixName}.${t.text}" has too many parts.`, this.peek());
      return this.attribute(t.text, t, attributes, `${prefixName}.${t.text}`);
    }
    if (attributes === ORDER_BY_ATTRIBUTES && prefix !== "tag" && prefix !== "metadata") {
      this.fail(`cannot order by ${prefix} fields; order by an attribute, a tag or a metadata key.`, first);
    }
    if (prefix === "span") return this.spanField();
    const { key } = this.key(prefixName);
    const label = `${prefixName}.${key}`;
    if (prefix === "tag") return { field: { kind: "tag", key }, ops: KEYED_OPS, numeric: false, label };
    if (prefix === "metadata") return { field: { kind: "metadata", key }, ops: KEYED_OPS, numeric: false, label };
    return { field: { kind: "assessment", type: prefix, name: key }, ops: KEYED_OPS, numeric: false, label };
  }

  private spanField(): FieldSpec {
    const t = this.peek();
    if (t?.kind !== "ident" && t?.kind !== "keyword") {
      this.fail("expected name, type, status, content or attributes.<key> after span.", t);
    }
    if (t.kind === "ident" && t.quoted) {
      this.fail("expected name, type, status, content or attributes.<key> after span.", t);
    }
    this.pos++;
    if (t.text === "attributes") {
      if (this.peek()?.kind !== "dot") this.fail("expected span.attributes.<key>.", this.peek() ?? t);
      this.pos++;
      const k = this.peek();
      if (k && ((k.kind === "ident" && k.quoted) || k.kind === "string")) {
        // MLflow keeps the quotes of a quoted span attribute key, so it would match no attribute
        this.fail("write span attribute keys unquoted, e.g. span.attributes.mlflow.spanType.", k);
      }
      const { name } = this.dottedName("an attribute key after span.attributes.");
      return {
        field: { kind: "spanAttribute", key: name },
        ops: SPAN_OPS,
        numeric: false,
        label: `span.attributes.${name}`,
      };
    }
    if (!SPAN_PROPERTIES.has(t.text) || this.peek()?.kind === "dot") {
      this.fail(`unknown span field "${t.text}"; expected name, type, status, content or attributes.<key>.`, t);
    }
    const property = t.text as SpanProperty;
    return {
      field: { kind: "span", property },
      ops: property === "content" ? SPAN_CONTENT_OPS : SPAN_OPS,
      numeric: false,
      label: `span.${property}`,
    };
  }

  private attribute(name: string, token: Token, attributes: Record<string, AttributeTarget>, label: string): FieldSpec {
    const target = Object.hasOwn(attributes, name) ? attributes[name] : undefined;
    if (target === undefined) {
      this.fail(`unknown attribute "${name}"; expected one of ${Object.keys(attributes).join(", ")}.`, token);
    }
    if (typeof target === "string") {
      const numeric = NUMERIC.has(target);
      return {
        field: { kind: "attribute", name: target },
        ops: numeric ? NUMERIC_OPS : STRING_ATTRIBUTE_OPS,
        numeric,
        label,
      };
    }
    const field: FilterField =
      "tag" in target ? { kind: "tag", key: target.tag } : { kind: "metadata", key: target.metadata };
    return { field, ops: MAPPED_ATTRIBUTE_OPS, numeric: false, label };
  }

  private operator(): FilterOperator {
    const t = this.peek();
    if (!t) this.fail("expected a comparison operator.", undefined);
    if (t.kind === "op") {
      this.pos++;
      if (!(COMPARISONS as string[]).includes(t.value)) {
        const hint = t.value === "==" ? " (use =)" : t.value === "<>" ? " (use !=)" : "";
        this.fail(`unknown operator "${t.value}"${hint}; expected =, !=, <, <=, > or >=.`, t);
      }
      return t.value as FilterOperator;
    }
    if (t.kind === "keyword" && ["LIKE", "ILIKE", "RLIKE", "IN"].includes(t.value)) {
      this.pos++;
      return t.value as FilterOperator;
    }
    if (t.kind === "keyword" && t.value === "NOT") {
      this.pos++;
      const n = this.peek();
      if (n?.kind !== "keyword" || n.value !== "IN") this.fail("expected IN after NOT.", n);
      this.pos++;
      return "NOT IN";
    }
    if (t.kind === "keyword" && t.value === "IS") {
      this.pos++;
      let not = false;
      if (this.peek()?.kind === "keyword" && this.peek()?.value === "NOT") {
        not = true;
        this.pos++;
      }
      const n = this.peek();
      if (n?.kind !== "keyword" || n.value !== "NULL") this.fail("expected NULL after IS.", n);
      this.pos++;
      return not ? "IS NOT NULL" : "IS NULL";
    }
    this.fail("expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, RLIKE, IN, NOT IN, IS NULL).", t);
  }

  private value(spec: FieldSpec, op: FilterOperator): FilterClause["value"] {
    if (op === "IS NULL" || op === "IS NOT NULL") return null;
    if (op === "IN" || op === "NOT IN") {
      const open = this.peek();
      if (open?.kind !== "lparen") this.fail(`expected "(" to start the ${op} list.`, open);
      this.pos++;
      const values: string[] = [];
      for (;;) {
        values.push(this.listItem(spec, op));
        const t = this.peek();
        if (t?.kind === "comma") {
          this.pos++;
          // MLflow reads the list as a Python tuple literal, where a trailing comma is fine
          if (this.peek()?.kind === "rparen") {
            this.pos++;
            return values;
          }
          continue;
        }
        if (t?.kind === "rparen") {
          this.pos++;
          return values;
        }
        this.fail(`expected "," or ")" in the ${op} list.`, t);
      }
    }
    return this.scalar(spec);
  }

  /**
   * One value of an IN list. MLflow reads the list with Python's `ast.literal_eval`, where a
   * backslash is an escape and `'it''s'` is two strings run together: unlike anywhere else in a
   * filter. Such values, and double-quoted ones (which some MLflow versions refuse in a list), would
   * mean something else on a server, so they are refused here.
   */
  private listItem(spec: FieldSpec, op: FilterOperator): string {
    const t = this.peek();
    if (t?.kind === "string" && t.quoted === '"') {
      this.fail(`write the values of an ${op} list in single quotes.`, t);
    }
    if (t?.kind === "string" && (t.value.includes("\\") || t.value.includes("''"))) {
      this.fail(
        `a value in an ${op} list cannot contain a backslash or a doubled quote (MLflow reads the list as a Python literal); use = or RLIKE for it.`,
        t,
      );
    }
    return String(this.scalar(spec));
  }

  private scalar(spec: FieldSpec): string | number {
    const t = this.peek();
    if (!t) this.fail(`expected a value for ${spec.label}.`, undefined);
    if (spec.numeric) {
      if (t.kind !== "number") this.fail(`${spec.label} takes a number, e.g. 1700000000000.`, t);
      this.pos++;
      return Number(t.value);
    }
    if (t.kind !== "string") {
      const example =
        spec.field.kind === "assessment" ? ` (compared with the JSON-encoded value, e.g. '${t.text}')` : "";
      this.fail(`${spec.label} takes a quoted string, e.g. 'value'${example}.`, t);
    }
    this.pos++;
    return t.value;
  }
}

const cache = new Map<string, FilterClause[]>();

/**
 * Parses an MLflow trace filter string into clauses joined by AND. Throws
 * {@link InvalidFilterError} naming the offending token and its position.
 */
export function parseFilter(filter: string | undefined | null): FilterClause[] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter !== "string") {
    throw new InvalidFilterError(
      `Invalid filter string: filterString must be a string, got ${describeValue(filter)}.`,
      String(filter),
      0,
    );
  }
  if (filter.trim() === "") return [];
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
  if (orderBy === undefined || orderBy === null) {
    return [{ field: { kind: "attribute", name: "timestamp_ms" }, ascending: false }];
  }
  if (!Array.isArray(orderBy)) {
    throw new InvalidFilterError(
      `Invalid orderBy: expected an array of strings such as ["timestamp_ms DESC"], got ${describeValue(orderBy)}.`,
      String(orderBy),
      0,
    );
  }
  if (orderBy.length === 0) return [{ field: { kind: "attribute", name: "timestamp_ms" }, ascending: false }];
  return orderBy.map((raw) => {
    if (typeof raw !== "string") {
      throw new InvalidFilterError(
        `Invalid orderBy: each clause must be a string such as "timestamp_ms DESC", got ${describeValue(raw)}.`,
        String(raw),
        0,
      );
    }
    const tokens = tokenize(raw);
    let direction = "ASC";
    const last = tokens.at(-1);
    if (last && last.kind === "ident" && !last.quoted && /^(asc|desc)$/i.test(last.value)) {
      direction = last.value.toUpperCase();
      tokens.pop();
    }
    if (tokens.length === 0) {
      throw new InvalidFilterError(`Invalid order_by clause "${raw}": expected a field name.`, raw, 0);
    }
    const parser = new Parser(tokens, raw);
    const { field } = parser.field(ORDER_BY_ATTRIBUTES);
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

/** A short description of a wrongly typed argument, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
