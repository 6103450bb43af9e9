/**
 * The search grammar measured against MLflow's own (`SearchTraceUtils` in mlflow/utils/search_utils.py):
 * a corpus of filter strings MLflow accepts with a meaning, each of which must select exactly the
 * expected traces in both the in-memory and the embedded SQLite store, and a corpus of strings
 * MLflow rejects (or accepts only by accident), each of which must be an InvalidFilterError.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AssessmentSource,
  Expectation,
  Feedback,
  InMemoryTraceStore,
  InvalidFilterError,
  Span,
  SqliteTraceStore,
  Trace,
  TraceData,
  TraceInfo,
  type TraceState,
  type TraceStore,
} from "../src/index.js";
import { parseFilter } from "../src/stores.js";

const traceId = (n: number) => `tr-${n.toString(16).padStart(32, "0")}`;

interface SpanSpec {
  name: string;
  type: string;
  status?: "OK" | "ERROR";
  attributes?: Record<string, unknown>;
  inputs?: unknown;
}

interface TraceSpec {
  id: number;
  experimentId?: string;
  time: number;
  duration: number;
  state?: TraceState;
  name: string;
  tags?: Record<string, string>;
  metadata?: Record<string, string>;
  clientRequestId?: string;
  spans: SpanSpec[];
}

function makeTrace(spec: TraceSpec): Trace {
  const id = traceId(spec.id);
  const info = new TraceInfo({
    traceId: id,
    experimentId: spec.experimentId ?? "0",
    requestTime: spec.time,
    executionDuration: spec.duration,
    state: spec.state ?? "OK",
    clientRequestId: spec.clientRequestId ?? null,
    tags: { "mlflow.traceName": spec.name, ...spec.tags },
    traceMetadata: { "mlflow.trace_schema.version": "3", ...spec.metadata },
  });
  const spans = spec.spans.map((s, i) => {
    const attributes: Record<string, string> = {
      "mlflow.traceRequestId": JSON.stringify(id),
      "mlflow.spanType": JSON.stringify(s.type),
    };
    if (s.inputs !== undefined) attributes["mlflow.spanInputs"] = JSON.stringify(s.inputs);
    for (const [k, v] of Object.entries(s.attributes ?? {})) attributes[k] = JSON.stringify(v);
    return Span.fromDict({
      trace_id: id.slice(3),
      span_id: (spec.id * 16 + i).toString(16).padStart(16, "0"),
      parent_span_id: i === 0 ? null : (spec.id * 16).toString(16).padStart(16, "0"),
      name: s.name,
      start_time_unix_nano: (spec.time + i) * 1e6,
      end_time_unix_nano: (spec.time + spec.duration) * 1e6,
      events: [],
      status: { code: `STATUS_CODE_${s.status ?? "OK"}`, message: "" },
      attributes,
    });
  });
  return new Trace(info, new TraceData(spans));
}

const FIXTURE: TraceSpec[] = [
  {
    id: 1,
    time: 1000,
    duration: 50,
    name: "chat",
    clientRequestId: "req-1",
    tags: { env: "prod", "a.b": "dotted", "my-key": "hy" },
    metadata: { "mlflow.sourceRun": "run-a", user: "alice" },
    spans: [
      {
        name: "chat",
        type: "CHAT_MODEL",
        attributes: { model: "gpt-4", temperature: 0.5 },
        inputs: { q: "What is MLflow?" },
      },
      { name: "my.span", type: "TOOL" },
    ],
  },
  {
    id: 2,
    time: 2000,
    duration: 500,
    name: "chat",
    state: "ERROR",
    tags: { env: "dev", team: "Search" },
    metadata: { user: "bob" },
    spans: [
      { name: "chat", type: "CHAT_MODEL", status: "ERROR", attributes: { model: "gpt-3.5" } },
      { name: "retrieve", type: "RETRIEVER" },
    ],
  },
  {
    id: 3,
    time: 3000,
    duration: 5,
    name: "rag_pipeline",
    tags: { env: "prod", team: "search" },
    metadata: { "mlflow.sourceRun": "run-b" },
    spans: [
      { name: "rag_pipeline", type: "CHAIN" },
      { name: "retrieve", type: "RETRIEVER", attributes: { top_k: 3 } },
      { name: "llm", type: "LLM", attributes: { model: "claude" }, inputs: "Über alles" },
    ],
  },
  {
    id: 4,
    time: 4000,
    duration: 1500,
    name: "Agent",
    tags: { env: "staging", label: "Été", état: "ok", "1st": "yes" },
    spans: [{ name: "Agent", type: "AGENT" }],
  },
  {
    id: 5,
    time: 5000,
    duration: 10,
    name: "chat-v2",
    tags: { env: "prod", note: "it''s", path: "C:\\tmp" },
    spans: [{ name: "chat-v2", type: "CHAT_MODEL" }],
  },
  // another experiment: never part of a search of experiment 0
  { id: 6, experimentId: "7", time: 6000, duration: 10, name: "chat", tags: { env: "prod" }, spans: [] },
];

const alice = new AssessmentSource({ sourceType: "HUMAN", sourceId: "alice" });
const judge = new AssessmentSource({ sourceType: "LLM_JUDGE", sourceId: "gpt-judge" });

/** Assessments, logged in order through the store (so overrides apply as they would in use). */
function assessments() {
  return [
    new Feedback({ traceId: traceId(1), name: "correct", value: true, source: alice }),
    new Feedback({ traceId: traceId(1), name: "rating", value: "good", source: judge }),
    new Expectation({ traceId: traceId(1), name: "expected_answer", value: "MLflow is a platform", source: alice }),
    new Feedback({ traceId: traceId(2), name: "correct", value: false, source: alice }),
    new Feedback({ traceId: traceId(2), name: "rating", value: "bad", source: judge }),
    new Feedback({ traceId: traceId(3), name: "correct", value: true, source: alice, assessmentId: "a-t3-first" }),
    // explicitly overrides the first: only `false` is valid on trace 3
    new Feedback({ traceId: traceId(3), name: "correct", value: false, source: alice, overrides: "a-t3-first" }),
    new Feedback({ traceId: traceId(3), name: "rating", value: 5, source: judge }),
    new Expectation({ traceId: traceId(5), name: "expected_answer", value: { a: 1 }, source: alice }),
  ];
}

const T3 = traceId(3);
/** [filter, ids of the experiment-0 traces it selects] */
const VALID: Array<[string, number[]]> = [
  // trace attributes
  ["attributes.status = 'OK'", [1, 3, 4, 5]],
  ["status = 'ERROR'", [2]],
  ["trace.status != 'OK'", [2]],
  ["attribute.status IN ('OK', 'ERROR')", [1, 2, 3, 4, 5]],
  ["status NOT IN ('OK')", [2]],
  ["status LIKE 'E%'", [2]],
  ["status ILIKE 'e%'", [2]],
  ["status RLIKE '^(OK|ERROR)$'", [1, 2, 3, 4, 5]],
  ["attributes.timestamp_ms > 2000", [3, 4, 5]],
  ["timestamp_ms >= 2000", [2, 3, 4, 5]],
  ["attributes.timestamp < 3000", [1, 2]],
  ["timestamp <= 1000", [1]],
  ["timestamp_ms = 3000", [3]],
  ["timestamp_ms != 3000", [1, 2, 4, 5]],
  ["timestamp_ms > 1500.5", [2, 3, 4, 5]],
  ["timestamp_ms > -1", [1, 2, 3, 4, 5]],
  ["attributes.execution_time_ms > 100", [2, 4]],
  ["execution_time < 10", [3]],
  ["attributes.end_time_ms >= 5000", [4, 5]],
  ["end_time < 1100", [1]],
  [`attributes.request_id = '${T3}'`, [3]],
  [`request_id IN ('${traceId(1)}', '${traceId(2)}')`, [1, 2]],
  [`request_id NOT IN ('${traceId(1)}')`, [2, 3, 4, 5]],
  ["request_id LIKE 'tr-%5'", [5]],
  ["attributes.client_request_id = 'req-1'", [1]],
  ["client_request_id IN ('req-1', 'nope')", [1]],
  ["client_request_id RLIKE '^req-'", [1]],
  ["attributes.name = 'chat'", [1, 2]],
  ["name != 'chat'", [3, 4, 5]],
  ["trace.name LIKE 'chat%'", [1, 2, 5]],
  ["name ILIKE 'AGENT'", [4]],
  ["name RLIKE '_pipe'", [3]],
  ["run_id = 'run-a'", [1]],
  ["attributes.run_id != 'run-a'", [3]],
  ["run_id LIKE 'run-%'", [1, 3]],
  // tags
  ["tags.env = 'prod'", [1, 3, 5]],
  ["tag.env != 'prod'", [2, 4]],
  ["tags.env LIKE 'p%'", [1, 3, 5]],
  ["tags.team ILIKE 'SEARCH'", [2, 3]],
  ["tags.team LIKE 'S%'", [2]],
  ["tags.env RLIKE '^(dev|staging)$'", [2, 4]],
  ["tags.team IS NULL", [1, 4, 5]],
  ["tags.team IS NOT NULL", [2, 3]],
  ["tags.`a.b` = 'dotted'", [1]],
  ["tags.\"a.b\" = 'dotted'", [1]],
  ["tags.'a.b' = 'dotted'", [1]],
  ["tags.`my-key` = 'hy'", [1]],
  ["`tags`.env = 'dev'", [2]],
  ["tags.mlflow.traceName = 'Agent'", [4]],
  ['tags.env = "prod"', [1, 3, 5]],
  // '' is not an escape in MLflow: the value is `it''s` as written
  ["tags.note = 'it''s'", [5]],
  // nor is a backslash
  ["tags.path = 'C:\\tmp'", [5]],
  ["tags.path LIKE 'C:\\%'", [5]],
  ["tags.label = 'Été'", [4]],
  ["tags.état = 'ok'", [4]],
  ["tags.1st = 'yes'", [4]],
  // ILIKE folds non-ASCII letters in every store (SQLite's lower() alone would not)
  ["tags.label ILIKE 'été'", [4]],
  ["tags.label ILIKE 'ÉTÉ'", [4]],
  // metadata
  ["metadata.user = 'alice'", [1]],
  ["request_metadata.user != 'alice'", [2]],
  ["metadata.user IS NULL", [3, 4, 5]],
  ["metadata.user IS NOT NULL", [1, 2]],
  ["metadata.`mlflow.sourceRun` RLIKE 'b$'", [3]],
  ["metadata.user ILIKE 'BOB'", [2]],
  // spans: a clause holds when some span of the trace satisfies it
  ["span.name = 'retrieve'", [2, 3]],
  ["span.name != 'chat'", [1, 2, 3, 4, 5]],
  ["span.name IN ('my.span', 'llm')", [1, 3]],
  ["span.name IN ('my.span', 'llm',)", [1, 3]],
  ["span.name NOT IN ('chat', 'chat-v2')", [1, 2, 3, 4]],
  ["span.name LIKE 'chat%'", [1, 2, 5]],
  ["span.name ILIKE 'AGENT'", [4]],
  ["span.name RLIKE '^ret'", [2, 3]],
  ["span.type = 'RETRIEVER'", [2, 3]],
  ["span.type IN ('LLM', 'AGENT')", [3, 4]],
  ["span.type != 'CHAT_MODEL'", [1, 2, 3, 4]],
  ["span.status = 'ERROR'", [2]],
  ["span.status NOT IN ('OK')", [2]],
  ["span.status LIKE 'ERR%'", [2]],
  // span attributes are JSON-encoded, as MLflow stores them: = accepts either form
  ["span.attributes.model = 'gpt-4'", [1]],
  ["span.attributes.model = '\"gpt-4\"'", [1]],
  ["span.attributes.model != 'gpt-4'", [2, 3]],
  ["span.attributes.model LIKE '%gpt%'", [1, 2]],
  ["span.attributes.model RLIKE 'claude'", [3]],
  ["span.attributes.model ILIKE '%CLAUDE%'", [3]],
  ["span.attributes.top_k = '3'", [3]],
  ["span.attributes.model IN ('gpt-4', 'claude')", [1, 3]],
  ["span.attributes.model NOT IN ('gpt-4')", [2, 3]],
  ["span.attributes.mlflow.spanType = 'RETRIEVER'", [2, 3]],
  ["span.content LIKE '%What is MLflow%'", [1]],
  ["span.content ILIKE '%über%'", [3]],
  // feedback and expectations: valid assessments, compared on the JSON-encoded value
  ["feedback.correct = 'true'", [1]],
  ["feedback.correct = 'false'", [2, 3]],
  ["feedback.correct != 'true'", [2, 3]],
  ["feedback.rating = 'good'", [1]],
  ["feedback.rating = '5'", [3]],
  ["feedback.rating LIKE '%oo%'", [1]],
  ["feedback.rating LIKE 'good'", []],
  ["feedback.rating ILIKE '\"BAD\"'", [2]],
  ["feedback.rating RLIKE '^[0-9]+$'", [3]],
  ["feedback.rating IS NULL", [4, 5]],
  ["feedback.correct IS NOT NULL", [1, 2, 3]],
  ["feedback.`correct` = 'true'", [1]],
  ["expectation.expected_answer = 'MLflow is a platform'", [1]],
  ["expectation.expected_answer LIKE '%\"a\":1%'", [5]],
  ["expectation.expected_answer IS NULL", [2, 3, 4]],
  // combinations, case and spacing
  ["tags.env = 'prod' AND span.type = 'LLM' AND feedback.rating = '5'", [3]],
  ["name = 'chat' AND status = 'OK'", [1]],
  ["timestamp > 1000 AND timestamp < 5000 AND tags.env != 'dev'", [3, 4]],
  ["tags.env like 'p%' and status in ('OK') and tags.team is not null", [3]],
  ["  tags.env   =   'prod'\n AND\tstatus='OK'  ", [1, 3, 5]],
  ["span.name IN ('retrieve')  AND  tags.team = 'Search'", [2]],
];

/** [filter, why MLflow refuses it (or accepts it only by accident)] */
const INVALID: Array<[string, string]> = [
  ["tags.env = 'x' AND", "dangling AND"],
  ["AND tags.env = 'x'", "leading AND"],
  ["tags.env = 'x' AND AND status = 'OK'", "doubled AND"],
  ["tags. = 'x'", "empty key"],
  ["feedback. = 'x'", "empty assessment name"],
  ["tags.`` = 'x'", "empty quoted key"],
  ["timestamp_ms > 'abc'", "string for a numeric attribute"],
  ["trace.timestamp_ms = '1'", "string for a numeric attribute"],
  ["tags.env RLIKE '('", "invalid regex"],
  ["tags.env RLIKE '(?=x)'", "lookahead is not linear-time"],
  ["name RLIKE 'a{2000}'", "repeat count too large"],
  ["status == 'OK'", "== is not an operator"],
  ["status <> 'OK'", "<> is not an operator"],
  ["status != != 'OK'", "doubled operator"],
  ["tags.env ~ 'x'", "unknown operator"],
  ["tags.env IN ('a')", "IN on tags"],
  ["tags.env NOT IN ('a')", "NOT IN on tags"],
  ["metadata.user IN ('a')", "IN on metadata"],
  ["metadata.user NOT IN ('a')", "NOT IN on metadata"],
  ["attributes.name IN ('chat')", "IN on name (a tag on the server)"],
  ["name NOT IN ('chat')", "NOT IN on name"],
  ["run_id IN ('run-a')", "IN on run_id (metadata on the server)"],
  ["attributes.state = 'OK'", "not a search key"],
  ["attributes.trace_id = 'tr-1'", "not a search key (request_id is)"],
  ["attributes.experiment_id = '0'", "not a search key"],
  ["attributes.request_time > 5", "not a search key"],
  ["attributes.execution_duration > 5", "not a search key"],
  ["attr.status = 'OK'", "attr is not a trace entity type"],
  ["Status = 'OK'", "keys are case-sensitive"],
  ["TAGS.env = 'x'", "entity types are case-sensitive"],
  ["bogus.env = 'x'", "unknown entity type"],
  ["tags.my-key = 'x'", "unquoted key with a hyphen"],
  ["status = 'OK' OR status = 'ERROR'", "OR"],
  ["(status = 'OK')", "parentheses"],
  ["status = OK", "unquoted value"],
  ["status = 5", "number for a string attribute"],
  ["tags.env LIKE 5", "number for a tag"],
  ["timestamp_ms LIKE '1%'", "LIKE on a number"],
  ["timestamp_ms IN (1, 2)", "IN on a number"],
  ["status < 'OK'", "< on a string"],
  ["status IS NULL", "IS NULL on an attribute"],
  ["tags.env > 'a'", "> on a tag"],
  ["span.duration = '5'", "unknown span field"],
  ["span.NAME = 'x'", "span fields are case-sensitive"],
  ["span.content = 'x'", "span.content takes LIKE / ILIKE only"],
  ["span.content RLIKE 'x'", "span.content takes LIKE / ILIKE only"],
  ["span.name IS NULL", "IS NULL on a span field"],
  ["span.name > 'a'", "> on a span field"],
  ["span.attributes = 'x'", "span.attributes without a key"],
  ["span.attributes.`a.b` = 'x'", "MLflow keeps the backquotes of a span attribute key"],
  ["feedback.rating = 5", "assessment values are quoted strings"],
  ["feedback.rating IN ('a')", "IN on feedback"],
  ["expectation.x > 'a'", "> on an expectation"],
  ["metadata.`a`.b = 'x'", "half-quoted key"],
  ["tags.env = 'prod", "unterminated string"],
  ["tags.env = 'a\\'", "a backslash before the closing quote: MLflow's reading depends on what follows"],
  ["tags.`env = 'x'", "unterminated backquote"],
  ["tags.env", "no operator"],
  ["tags.env =", "no value"],
  ["tags.env NOT LIKE 'x'", "NOT LIKE"],
  ["tags.env IS 'x'", "IS without NULL"],
  ["tags.env = 'x' ; DROP TABLE traces", "statement separator"],
  ["status IN ()", "empty IN list"],
  ["status IN ('a' 'b')", "two strings run together (Python concatenates them)"],
  ["span.name IN ('it''s')", "a doubled quote in a list means two strings run together"],
  ["span.name IN ('C:\\tmp')", "a backslash in a list is a Python escape"],
  ['span.name IN ("chat")', "double-quoted list values (refused by some MLflow versions)"],
  ["status IN (,)", "a comma alone"],
  ["timestamp_ms > 12abc", "not a number"],
  ["timestamp_ms > +5", "MLflow numbers have no plus sign"],
  ["tags.env = 'x' tags.team = 'y'", "missing AND"],
  ["= 'x'", "no field"],
];

const ids = (page: { traces: Trace[] }) =>
  page.traces.map((t) => Number.parseInt(t.info.traceId.slice(3), 16)).sort((a, b) => a - b);

const stores: Array<[string, () => TraceStore]> = [
  ["in-memory store", () => new InMemoryTraceStore()],
  ["SQLite store", () => new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-corpus-")), "traces.db"))],
];

describe("the filter corpus", () => {
  it("is at MLflow-grammar scale: at least 70 valid and 55 invalid strings, none duplicated", () => {
    expect(VALID.length).toBeGreaterThanOrEqual(70);
    expect(INVALID.length).toBeGreaterThanOrEqual(55);
    const all = [...VALID.map(([f]) => f), ...INVALID.map(([f]) => f)];
    expect(new Set(all).size).toBe(all.length);
  });

  it.each(VALID)("accepts %j", (filter) => {
    expect(() => parseFilter(filter)).not.toThrow();
  });

  it.each(INVALID)("rejects %j (%s) with an InvalidFilterError", (filter) => {
    expect(() => parseFilter(filter)).toThrow(InvalidFilterError);
  });
});

describe.each(stores)("valid filters in the %s", (_name, create) => {
  let store: TraceStore;
  beforeAll(async () => {
    store = create();
    await store.logTraces(FIXTURE.map(makeTrace));
    for (const a of assessments()) await store.logAssessment(a);
  });
  afterAll(async () => {
    await store.close?.();
  });

  it.each(VALID)("%j selects %j", async (filterString, expected) => {
    expect(ids(await store.searchTraces({ experimentIds: ["0"], filterString }))).toEqual(expected);
  });

  it.each(INVALID)("refuses %j before reading anything", async (filterString) => {
    await expect(
      Promise.resolve().then(() => store.searchTraces({ experimentIds: ["0"], filterString })),
    ).rejects.toBeInstanceOf(InvalidFilterError);
  });

  it("keeps the other experiment out of every search", async () => {
    expect(ids(await store.searchTraces({ experimentIds: ["7"], filterString: "name = 'chat'" }))).toEqual([6]);
  });
});
