/**
 * The embedded store's schema v3 (src/store/sqlite/schema.ts): a database made by the v2 DDL
 * migrates with everything in it, the (key, value) index stays in step with the traces on every
 * path that changes them (logging, tags set and deleted, deletes, re-logging), inputs and outputs
 * equal to the previews are stored once and read back whole, trace ids that share an index key
 * are still told apart, and the lookups and the first page use the indexes they were built for.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { Feedback, Span, SqliteTraceStore, Trace, TraceData, TraceInfo } from "../src/index.js";
import { createBatchWriter } from "../src/store/sqlite/batch-writer.js";
import {
  isIndexedKey,
  KeyKind,
  removeIndexEntries,
  SCHEMA_VERSION,
  SPAN_KEYS_PER_TRACE,
  traceIdMatch,
  UNINDEXED_METADATA_KEYS,
} from "../src/store/sqlite/schema.js";
import { filterToSql, orderByToSql } from "../src/store/sqlite/sql-filter.js";
import { serializeTraces } from "../src/store/sqlite/trace-records.js";

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-schema-")), "traces.db");

interface TraceSpec {
  id: string;
  time: number;
  spans?: number;
  tags?: Record<string, string>;
  metadata?: Record<string, string>;
  requestPreview?: string | null;
  responsePreview?: string | null;
}

function makeTrace(spec: TraceSpec): Trace {
  const hex = spec.id.startsWith("tr-") ? spec.id.slice(3) : "0".repeat(32);
  const spans = Array.from({ length: spec.spans ?? 1 }, (_, s) =>
    Span.fromDict({
      trace_id: hex,
      span_id: (spec.time * 100 + s + 1).toString(16).padStart(16, "0"),
      parent_span_id: s === 0 ? null : (spec.time * 100 + 1).toString(16).padStart(16, "0"),
      name: s === 0 ? "root" : `child-${s}`,
      start_time_unix_nano: spec.time * 1e6,
      end_time_unix_nano: (spec.time + 5) * 1e6,
      events: [],
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: { "mlflow.spanType": '"CHAIN"', "mlflow.spanInputs": JSON.stringify({ s }) },
    }),
  );
  return new Trace(
    new TraceInfo({
      traceId: spec.id,
      experimentId: "0",
      requestTime: spec.time,
      executionDuration: 5,
      state: "OK",
      requestPreview: spec.requestPreview ?? null,
      responsePreview: spec.responsePreview ?? null,
      tags: spec.tags ?? {},
      traceMetadata: spec.metadata ?? {},
    }),
    new TraceData(spans),
  );
}

const hexId = (n: number) => `tr-${n.toString(16).padStart(32, "0")}`;

/**
 * Every stored trace's index entries are exactly its tags and indexed metadata: read from the
 * file with a connection of its own, the rows of `trace_key_values` against the trace rows.
 */
function expectIndexInStep(path: string): void {
  const db = new DatabaseSync(path, { timeout: 10_000 });
  const expected: string[] = [];
  for (const row of db.prepare("SELECT trace_rk, tags, metadata FROM traces").all() as Array<{
    trace_rk: number;
    tags: string;
    metadata: string;
  }>) {
    for (const [k, v] of Object.entries(JSON.parse(row.tags) as Record<string, string>)) {
      expected.push(JSON.stringify([KeyKind.TAG, k, v, row.trace_rk]));
    }
    for (const [k, v] of Object.entries(JSON.parse(row.metadata) as Record<string, string>)) {
      if (isIndexedKey(KeyKind.METADATA, k)) expected.push(JSON.stringify([KeyKind.METADATA, k, v, row.trace_rk]));
    }
  }
  const actual = (
    db
      .prepare("SELECT k.kind, k.key, v.value, v.trace_rk FROM trace_key_values v JOIN trace_keys k USING (key_id)")
      .all() as Array<{ kind: number; key: string; value: string; trace_rk: number }>
  ).map((r) => JSON.stringify([r.kind, r.key, r.value, r.trace_rk]));
  db.close();
  expect(actual.sort()).toEqual(expected.sort());
}

const count = (path: string, sql: string): number => {
  const db = new DatabaseSync(path, { timeout: 10_000 });
  const n = Number((db.prepare(sql).get() as { n: number }).n);
  db.close();
  return n;
};

/** The schema as Tracewright with schema v2 left it (read back from such a file's sqlite_schema). */
const SCHEMA_V2 = `
  CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, creation_time INTEGER NOT NULL);
  INSERT INTO experiments (experiment_id, name, creation_time) VALUES (0, 'Default', 0);
  CREATE TABLE runs (run_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, name TEXT, status TEXT NOT NULL, start_time INTEGER NOT NULL, end_time INTEGER);
  CREATE TABLE "traces" (trace_rk INTEGER PRIMARY KEY, trace_id TEXT NOT NULL UNIQUE, experiment_id TEXT NOT NULL, client_request_id TEXT,
    request_time INTEGER NOT NULL, execution_duration INTEGER, state TEXT NOT NULL, request_preview TEXT, response_preview TEXT);
  CREATE TABLE "trace_tags" (trace_rk INTEGER NOT NULL REFERENCES "traces" (trace_rk) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (trace_rk, key)) WITHOUT ROWID;
  CREATE TABLE "trace_metadata" (trace_rk INTEGER NOT NULL REFERENCES "traces" (trace_rk) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (trace_rk, key)) WITHOUT ROWID;
  CREATE TABLE "spans" (trace_rk INTEGER NOT NULL REFERENCES "traces" (trace_rk) ON DELETE CASCADE, position INTEGER NOT NULL, span_id TEXT NOT NULL,
    parent_span_id TEXT, name TEXT NOT NULL, span_type TEXT, status TEXT NOT NULL, start_time_ns INTEGER NOT NULL, end_time_ns INTEGER, content TEXT NOT NULL);
  CREATE TABLE "assessments" (assessment_id TEXT PRIMARY KEY, trace_rk INTEGER NOT NULL REFERENCES "traces" (trace_rk) ON DELETE CASCADE, span_id TEXT,
    name TEXT NOT NULL, kind TEXT NOT NULL, source_type TEXT NOT NULL, source_id TEXT NOT NULL, create_time INTEGER NOT NULL, valid INTEGER NOT NULL, content TEXT NOT NULL);
  CREATE INDEX traces_by_experiment_time ON traces (experiment_id, request_time, trace_id DESC);
  CREATE INDEX traces_by_time ON traces (request_time);
  CREATE INDEX trace_tags_by_key_value ON trace_tags (key, value);
  CREATE INDEX trace_metadata_by_key_value ON trace_metadata (key, value) WHERE key NOT IN ('mlflow.traceInputs', 'mlflow.traceOutputs', 'mlflow.trace.tokenUsage', 'mlflow.trace.sizeBytes', 'tracewright.trace.truncation');
  CREATE INDEX spans_by_trace ON spans (trace_rk, position);
  CREATE INDEX assessments_by_trace ON assessments (trace_rk, create_time);
  PRAGMA user_version = 2;`;

/** Writes `traces` into a v2 file with rows exactly as the v2 writer wrote them. */
function writeV2(path: string, traces: Trace[], feedback: Feedback): void {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(SCHEMA_V2);
  const insertTrace = db.prepare(
    `INSERT INTO traces (trace_id, experiment_id, client_request_id, request_time, execution_duration, state, request_preview, response_preview)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSpan = db.prepare(
    `INSERT INTO spans (trace_rk, position, span_id, parent_span_id, name, span_type, status, start_time_ns, end_time_ns, content)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const t of traces) {
    const i = t.info;
    const rk = insertTrace.run(
      i.traceId,
      i.experimentId,
      null,
      i.requestTime,
      i.executionDuration,
      i.state,
      i.requestPreview,
      i.responsePreview,
    ).lastInsertRowid;
    for (const [k, v] of Object.entries(i.tags)) db.prepare("INSERT INTO trace_tags VALUES (?, ?, ?)").run(rk, k, v);
    for (const [k, v] of Object.entries(i.traceMetadata)) {
      db.prepare("INSERT INTO trace_metadata VALUES (?, ?, ?)").run(rk, k, v);
    }
    for (const [pos, s] of t.data.spans.entries()) {
      const row = [s.spanId, s.parentId, s.name, s.spanType, s.status.statusCode, s.startTimeNs, s.endTimeNs];
      insertSpan.run(rk, pos, ...row, JSON.stringify(s.toDict()));
    }
  }
  const rk = (
    db.prepare("SELECT trace_rk FROM traces WHERE trace_id = ?").get(feedback.traceId) as { trace_rk: number }
  ).trace_rk;
  db.prepare("INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
    feedback.assessmentId,
    rk,
    null,
    feedback.name,
    feedback.type,
    feedback.source.sourceType,
    feedback.source.sourceId,
    feedback.createTime,
    1,
    JSON.stringify(feedback.toDict()),
  );
  db.close();
}

describe("migration from schema v2", () => {
  it("keeps every trace's tags, metadata, previews, spans in order and assessments, and the file takes new traces", async () => {
    const path = tempDb();
    const same = JSON.stringify({ q: "same as the preview" });
    const traces = [
      // inputs and outputs equal to the previews (what trace() writes for short values)
      makeTrace({
        id: hexId(1),
        time: 1_700_000_000_001,
        spans: 3,
        tags: { "mlflow.traceName": "root", env: "prod" },
        metadata: {
          "mlflow.trace_schema.version": "3",
          "mlflow.traceInputs": same,
          "mlflow.traceOutputs": '"out"',
          "mlflow.sourceRun": "run-1",
          "mlflow.trace.tokenUsage": '{"input_tokens":1}',
        },
        requestPreview: same,
        responsePreview: '"out"',
      }),
      // inputs that differ from the preview (a chat's last message), no outputs
      makeTrace({
        id: hexId(2),
        time: 1_700_000_000_002,
        tags: { "mlflow.traceName": "chat", env: "dev", 'we.ird "key"': "x" },
        metadata: { "mlflow.traceInputs": '{"messages":[]}' },
        requestPreview: "hello",
      }),
      // no tags, no metadata, no previews
      makeTrace({ id: "custom-id", time: 1_700_000_000_003, spans: 2 }),
    ];
    const feedback = new Feedback({ traceId: hexId(1), name: "correct", value: true });
    writeV2(path, traces, feedback);

    const store = new SqliteTraceStore(path);
    for (const t of traces) {
      const back = store.getTrace(t.info.traceId);
      expect(back?.info.tags).toEqual(t.info.tags);
      expect(back?.info.traceMetadata).toEqual(t.info.traceMetadata);
      expect([back?.info.requestPreview, back?.info.responsePreview]).toEqual([
        t.info.requestPreview,
        t.info.responsePreview,
      ]);
      expect(back?.data.spans.map((s) => s.toDict())).toEqual(t.data.spans.map((s) => s.toDict()));
    }
    expect(store.getTrace(hexId(1))?.info.assessments.map((a) => a.assessmentId)).toEqual([feedback.assessmentId]);
    const ids = (filterString: string, runId?: string) =>
      store
        .searchTraces({ experimentIds: ["0"], filterString, ...(runId ? { runId } : {}) })
        .traces.map((t) => t.info.traceId);
    expect(ids("tags.env = 'prod'")).toEqual([hexId(1)]);
    expect(ids("tags.`we.ird \"key\"` = 'x'")).toEqual([hexId(2)]);
    expect(ids(`metadata.\`mlflow.traceInputs\` = '${same}'`)).toEqual([hexId(1)]);
    expect(ids("metadata.`mlflow.traceOutputs` IS NULL")).toEqual(["custom-id", hexId(2)]);
    expect(ids("metadata.`mlflow.trace_schema.version` = '3'")).toEqual([hexId(1)]);
    expect(ids("", "run-1")).toEqual([hexId(1)]);
    expect(ids("feedback.correct = 'true'")).toEqual([hexId(1)]);

    // the old layout is gone and the file is sound
    const db = new DatabaseSync(path, { timeout: 10_000 });
    expect((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
    expect(db.prepare("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>)
      .map((r) => r.name)
      .sort();
    expect(tables).toEqual([
      "assessments",
      "experiments",
      "runs",
      "spans",
      "sqlite_sequence",
      "trace_key_values",
      "trace_keys",
      "traces",
    ]);
    // stored once: 0 stands for "the same as the preview"
    const columns = db
      .prepare("SELECT trace_inputs, trace_outputs, schema_version, metadata FROM traces ORDER BY trace_rk")
      .all();
    expect(columns.map((r) => [r.trace_inputs, r.trace_outputs, r.schema_version, r.metadata])).toEqual([
      [0, 0, "3", '{"mlflow.sourceRun":"run-1","mlflow.trace.tokenUsage":"{\\"input_tokens\\":1}"}'],
      ['{"messages":[]}', null, null, "{}"],
      [null, null, null, "{}"],
    ]);
    db.close();
    expectIndexInStep(path);

    await store.logTraces([makeTrace({ id: hexId(4), time: 1_700_000_000_004, tags: { env: "prod" } })]);
    store.setTraceTag(hexId(2), "env", "prod");
    expect(ids("tags.env = 'prod'")).toEqual([hexId(4), hexId(2), hexId(1)]);
    expect(store.deleteTraces({ experimentId: "0", traceIds: [hexId(1)] })).toBe(1);
    expect(count(path, "SELECT count(*) AS n FROM spans")).toBe(1 + 2 + 1);
    expect(count(path, "SELECT count(*) AS n FROM assessments")).toBe(0);
    expectIndexInStep(path);
    store.close();
  });
});

describe("the (key, value) index", () => {
  it("follows tags set and deleted after logging, re-logged traces and deletes", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    const traces = Array.from({ length: 20 }, (_, n) =>
      makeTrace({
        id: hexId(100 + n),
        time: 1_700_000_000_000 + n,
        tags: { "mlflow.traceName": "t", env: n % 2 ? "prod" : "dev" },
        metadata: {
          "mlflow.trace_schema.version": "3",
          "mlflow.user": `user-${n % 3}`,
          "mlflow.trace.tokenUsage": "{}",
        },
      }),
    );
    await store.logTraces(traces);
    expectIndexInStep(path);
    // only what a search may need: the schema version and token usage have no entries
    expect(count(path, "SELECT count(*) AS n FROM trace_key_values")).toBe(20 * 3);
    // the writer thread's own list of keys left out agrees with the schema's
    const everyKey = Object.fromEntries([...UNINDEXED_METADATA_KEYS, "mlflow.source.name"].map((k) => [k, `${k}!`]));
    await store.logTraces([makeTrace({ id: hexId(99), time: 1_600_000_000_000, metadata: everyKey })]);
    expectIndexInStep(path);
    expect(store.deleteTraces({ experimentId: "0", traceIds: [hexId(99)] })).toBe(1);

    const odd = 'a key "with" quotes, dots. and \\ a backslash';
    store.setTraceTag(hexId(103), odd, "v1");
    store.setTraceTag(hexId(103), odd, "v2"); // replaces
    store.setTraceTag(hexId(104), "env", "staging");
    expectIndexInStep(path);
    const ids = (filterString: string) =>
      store.searchTraces({ experimentIds: ["0"], filterString }).traces.map((t) => t.info.traceId);
    // (the filter grammar has no backslash escapes: the key is taken as written between backticks)
    expect(ids(`tags.\`${odd}\` = 'v2'`)).toEqual([hexId(103)]);
    expect(ids(`tags.\`${odd}\` = 'v1'`)).toEqual([]);
    expect(ids(`tags.\`${odd}\` IS NOT NULL`)).toEqual([hexId(103)]);
    expect(ids("tags.env = 'staging'")).toEqual([hexId(104)]);
    expect(ids("metadata.`mlflow.user` = 'user-1'")).toEqual(
      traces
        .filter((_, n) => n % 3 === 1)
        .map((t) => t.info.traceId)
        .reverse(),
    );

    store.deleteTraceTag(hexId(103), odd);
    expect(() => store.deleteTraceTag(hexId(103), odd)).toThrow(/does not exist/);
    expect(ids(`tags.\`${odd}\` IS NOT NULL`)).toEqual([]);
    expectIndexInStep(path);

    // a re-logged trace (merged with what is stored) keeps one copy and one set of entries
    await store.logTraces([traces[5] as Trace]);
    expect(store.countTraces()).toBe(20);
    expectIndexInStep(path);

    expect(store.deleteTraces({ experimentId: "0", maxTimestampMillis: 1_700_000_000_009 })).toBe(10);
    expectIndexInStep(path);
    expect(count(path, "SELECT count(*) AS n FROM spans")).toBe(10);
    store.close();
  });
});

describe("inputs, outputs and schema version metadata", () => {
  it("are columns (inputs and outputs equal to the previews stored once), read back whole and found by filters", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    const inputs = JSON.stringify({ question: "Which ocean?" });
    await store.logTraces([
      makeTrace({
        id: hexId(1),
        time: 1,
        metadata: {
          "mlflow.traceInputs": inputs,
          "mlflow.traceOutputs": '"Atlantic"',
          "mlflow.user": "u",
          "mlflow.trace_schema.version": "3",
        },
        requestPreview: inputs,
        responsePreview: '"Atlantic"',
      }),
      makeTrace({
        id: hexId(2),
        time: 2,
        metadata: { "mlflow.traceInputs": '{"messages":[]}', "mlflow.traceOutputs": "other" },
        requestPreview: "last user message",
        responsePreview: "reply",
      }),
    ]);
    const db = new DatabaseSync(path, { timeout: 10_000 });
    const stored = db
      .prepare(
        "SELECT typeof(trace_inputs) AS i, typeof(trace_outputs) AS o, schema_version AS v, metadata FROM traces ORDER BY trace_rk",
      )
      .all();
    db.close();
    // the integer 0 (no bytes in the record), and the rest of the metadata without them
    expect(stored).toEqual([
      { i: "integer", o: "integer", v: "3", metadata: '{"mlflow.user":"u"}' },
      { i: "text", o: "text", v: null, metadata: "{}" },
    ]);
    expect(store.getTrace(hexId(1))?.info.traceMetadata).toEqual({
      "mlflow.traceInputs": inputs,
      "mlflow.traceOutputs": '"Atlantic"',
      "mlflow.user": "u",
      "mlflow.trace_schema.version": "3",
    });
    const ids = (filterString: string) =>
      store.searchTraces({ experimentIds: ["0"], filterString }).traces.map((t) => t.info.traceId);
    expect(ids(`metadata.\`mlflow.traceInputs\` = '${inputs}'`)).toEqual([hexId(1)]);
    expect(ids("metadata.`mlflow.traceOutputs` = '\"Atlantic\"'")).toEqual([hexId(1)]);
    expect(ids("metadata.`mlflow.traceOutputs` = 'other'")).toEqual([hexId(2)]);
    expect(ids("metadata.`mlflow.traceInputs` LIKE '%question%'")).toEqual([hexId(1)]);
    expect(ids("metadata.`mlflow.trace_schema.version` = '3'")).toEqual([hexId(1)]);
    expect(ids("metadata.`mlflow.trace_schema.version` IS NULL")).toEqual([hexId(2)]);
    expect(
      store
        .searchTraces({ experimentIds: ["0"], orderBy: ["metadata.`mlflow.traceOutputs` ASC"] })
        .traces.map((t) => t.info.traceId),
    ).toEqual([hexId(1), hexId(2)]);
    store.close();
  });
});

describe("trace ids", () => {
  it("that share an index key, or are not MLflow ids, are told apart on every path", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    // the index keys the first 12 and the last 4 hex digits: these three share one key
    const a = `tr-${"0".repeat(12)}${"a".repeat(16)}0000`;
    const b = `tr-${"0".repeat(12)}${"b".repeat(16)}0000`;
    const c = `tr-${"0".repeat(12)}${"c".repeat(16)}0000`;
    const other = "not-an-mlflow-id";
    await store.logTraces([
      makeTrace({ id: a, time: 1, spans: 2, tags: { who: "a" } }),
      makeTrace({ id: b, time: 2, spans: 3, tags: { who: "b" } }),
      makeTrace({ id: other, time: 3, tags: { who: "other" } }),
    ]);
    expect(store.getTrace(a)?.info.tags.who).toBe("a");
    expect(store.getTrace(b)?.data.spans).toHaveLength(3);
    expect(store.getTrace(c)).toBeNull();
    expect(store.getTrace(other)?.info.tags.who).toBe("other");
    const ids = (filterString: string) =>
      store.searchTraces({ experimentIds: ["0"], filterString }).traces.map((t) => t.info.traceId);
    expect(ids(`attributes.request_id = '${b}'`)).toEqual([b]);
    expect(ids(`attributes.request_id IN ('${a}', '${other}', '${c}')`)).toEqual([other, a]);
    expect(ids(`attributes.request_id != '${a}'`)).toEqual([other, b]);
    // logged again: the stored copy is found (not written twice) under the shared key
    await store.logTraces([makeTrace({ id: a, time: 1, spans: 2, tags: { who: "a" } })]);
    expect(store.countTraces()).toBe(3);
    expect(() => store.setTraceTag(c, "x", "y")).toThrow(/not found/);
    expect(store.deleteTraces({ experimentId: "0", traceIds: [b, c] })).toBe(1);
    expect(store.getTrace(a)?.data.spans).toHaveLength(2);
    expect(count(path, "SELECT count(*) AS n FROM spans")).toBe(2 + 1);
    store.close();
  });
});

describe("the writer thread's SQL", () => {
  it("spells the schema's trace id lookup and span keys", async () => {
    expect(createBatchWriter.toString()).toContain(traceIdMatch("trace_id", "?1"));
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    await store.logTraces([makeTrace({ id: hexId(7), time: 7, spans: 3 }), makeTrace({ id: hexId(8), time: 8 })]);
    const db = new DatabaseSync(path, { timeout: 10_000 });
    const keys = db.prepare(
      `SELECT t.trace_rk, s.span_key FROM spans s JOIN traces t ON s.span_key / ${SPAN_KEYS_PER_TRACE} = t.trace_rk`,
    );
    const rows = keys.all() as Array<{ trace_rk: number; span_key: number }>;
    expect(rows.map((r) => r.span_key - r.trace_rk * SPAN_KEYS_PER_TRACE)).toEqual([0, 1, 2, 0]);
    db.close();
    store.close();
  });
});

describe("interned keys", () => {
  it("a key interned by a transaction that rolled back is interned again by the next one", async () => {
    const path = tempDb();
    new SqliteTraceStore(path).close();
    const db = new DatabaseSync(path, { timeout: 10_000 });
    const write = createBatchWriter(db);
    const batch = (spec: TraceSpec) => serializeTraces([makeTrace(spec)]);
    db.exec("BEGIN IMMEDIATE");
    write(batch({ id: hexId(1), time: 1, tags: { first: "a" } }), false);
    db.exec("ROLLBACK");
    // as every caller does on a rollback (writer-thread.ts, sqlite-store.ts): the writer's cached
    // key ids may name keys that are gone
    write.forget();
    // another writer takes the key id the rolled-back key had
    db.exec("INSERT INTO trace_keys (kind, key) VALUES (0, 'someone else')");
    db.exec("BEGIN IMMEDIATE");
    write(batch({ id: hexId(2), time: 2, tags: { first: "b", second: "c" } }), false);
    db.exec("COMMIT");
    db.close();
    expectIndexInStep(path);
    const store = new SqliteTraceStore(path);
    expect(store.searchTraces({ filterString: "tags.first = 'b'" }).traces.map((t) => t.info.traceId)).toEqual([
      hexId(2),
    ]);
    store.close();
  });
});

describe("query plans", () => {
  const planOf = (db: DatabaseSync, sql: string, params: Array<string | number>): string =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join("\n");

  it("find a trace by id and a trace's index entries through their indexes, and page in time order without sorting every trace", () => {
    const path = tempDb();
    new SqliteTraceStore(path).close();
    const db = new DatabaseSync(path);
    expect(planOf(db, `SELECT * FROM traces WHERE ${traceIdMatch("trace_id", "?1")}`, [hexId(1)])).toMatch(
      /USING INDEX traces_by_id/,
    );
    const byId = filterToSql(`attributes.request_id IN ('${hexId(1)}', '${hexId(2)}')`);
    expect(planOf(db, `SELECT t.* FROM traces t WHERE ${byId.sql}`, byId.params)).toMatch(/USING INDEX traces_by_id/);
    const order = orderByToSql(undefined);
    const page = planOf(db, `SELECT t.* FROM traces t WHERE t.experiment_id IN (?) ORDER BY ${order.sql} LIMIT 101`, [
      "0",
      ...order.params,
    ]);
    expect(page).toMatch(/USING INDEX traces_by_experiment_time/);
    // the index entries of a deleted or retagged trace are looked up, not searched for (the
    // triggers' step, with a row's values in place of old.*)
    const removal = removeIndexEntries("old")
      .replaceAll("old.trace_rk", "5")
      .replaceAll("old.tags", `'{"mlflow.traceName":"x","env":"prod"}'`)
      .replaceAll("old.metadata", `'{"mlflow.user":"u"}'`)
      .replace(/;\s*$/, "");
    const removalPlan = planOf(db, removal, []);
    expect(removalPlan).toMatch(/SEARCH trace_key_values USING PRIMARY KEY \(key_id=\? AND value=\? AND trace_rk=\?\)/);
    expect(removalPlan).not.toMatch(/SCAN trace_key_values/);
    // only ties in time are sorted, not every trace of the experiment
    expect(page).toMatch(/USE TEMP B-TREE FOR LAST TERM OF ORDER BY/);
    expect(page).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    db.close();
  });
});
