import type { DatabaseSync } from "node:sqlite";
import { TraceMetadataKey } from "../../constants.js";

/**
 * Schema migrations, applied in order inside one transaction each. `user_version` records how
 * many have run, so opening an older database upgrades it and a newer one is refused.
 */
/**
 * Metadata keys whose values are unique per trace and written by Tracewright itself: kept out of
 * the (key, value) index, where each would land on a random page. Filters on them scan.
 */
export const UNINDEXED_METADATA_KEYS = [
  TraceMetadataKey.INPUTS,
  TraceMetadataKey.OUTPUTS,
  TraceMetadataKey.TOKEN_USAGE,
  TraceMetadataKey.SIZE_BYTES,
  "tracewright.trace.truncation",
] as const;

/**
 * The partial index's condition. A query can use the index only when its WHERE clause holds this
 * very term (SQLite proves a partial index applies by matching terms), so queries on an indexed
 * key add it verbatim: see {@link metadataIndexTerm}.
 */
const INDEXED_METADATA = `key NOT IN (${UNINDEXED_METADATA_KEYS.map((k) => `'${k}'`).join(", ")})`;

/**
 * The term to AND into a query on `trace_metadata` (aliased `alias`) for `key`, so SQLite uses the
 * (key, value) index; empty for keys the index leaves out.
 */
export function metadataIndexTerm(alias: string, key: string): string {
  if ((UNINDEXED_METADATA_KEYS as readonly string[]).includes(key)) return "";
  return ` AND ${alias}.${INDEXED_METADATA}`;
}

const MIGRATIONS: string[] = [
  `
  CREATE TABLE experiments (
    experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    creation_time INTEGER NOT NULL
  );
  INSERT INTO experiments (experiment_id, name, creation_time) VALUES (0, 'Default', 0);

  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL,
    name TEXT,
    status TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER
  );

  CREATE TABLE traces (
    trace_id TEXT PRIMARY KEY,
    experiment_id TEXT NOT NULL,
    client_request_id TEXT,
    request_time INTEGER NOT NULL,
    execution_duration INTEGER,
    state TEXT NOT NULL,
    request_preview TEXT,
    response_preview TEXT
  );
  CREATE INDEX traces_by_experiment_time ON traces (experiment_id, request_time DESC, trace_id);
  CREATE INDEX traces_by_time ON traces (request_time);

  CREATE TABLE trace_tags (
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX trace_tags_by_key_value ON trace_tags (key, value);

  CREATE TABLE trace_metadata (
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX trace_metadata_by_key_value ON trace_metadata (key, value);

  CREATE TABLE spans (
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    span_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    span_type TEXT,
    status TEXT NOT NULL,
    start_time_ns INTEGER NOT NULL,
    end_time_ns INTEGER,
    content TEXT NOT NULL
  );
  -- a rowid table: span rows are large, which WITHOUT ROWID tables handle badly
  CREATE INDEX spans_by_trace ON spans (trace_id, position);

  CREATE TABLE assessments (
    assessment_id TEXT PRIMARY KEY,
    trace_id TEXT NOT NULL REFERENCES traces (trace_id) ON DELETE CASCADE,
    span_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    valid INTEGER NOT NULL,
    content TEXT NOT NULL
  );
  CREATE INDEX assessments_by_trace ON assessments (trace_id, create_time);
  `,
  // v2: every row of a trace is keyed by `trace_rk`, an integer that grows with insertion, so each
  // insert lands on the right edge of its B-tree instead of dirtying a random page (random trace
  // ids as keys cost one 16 KiB page per row once the file outgrew the cache: measured 165 KiB
  // written per one-span trace at 100k traces). The bulky, unique metadata values Tracewright
  // writes itself (inputs, outputs, token usage, size) stay out of the (key, value) index.
  `
  CREATE TABLE traces_v2 (
    trace_rk INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL UNIQUE,
    experiment_id TEXT NOT NULL,
    client_request_id TEXT,
    request_time INTEGER NOT NULL,
    execution_duration INTEGER,
    state TEXT NOT NULL,
    request_preview TEXT,
    response_preview TEXT
  );
  INSERT INTO traces_v2 (trace_id, experiment_id, client_request_id, request_time, execution_duration, state, request_preview, response_preview)
    SELECT trace_id, experiment_id, client_request_id, request_time, execution_duration, state, request_preview, response_preview
    FROM traces ORDER BY request_time, trace_id;

  CREATE TABLE trace_tags_v2 (
    trace_rk INTEGER NOT NULL REFERENCES traces_v2 (trace_rk) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_rk, key)
  ) WITHOUT ROWID;
  INSERT INTO trace_tags_v2 SELECT n.trace_rk, o.key, o.value FROM trace_tags o JOIN traces_v2 n ON n.trace_id = o.trace_id;

  CREATE TABLE trace_metadata_v2 (
    trace_rk INTEGER NOT NULL REFERENCES traces_v2 (trace_rk) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_rk, key)
  ) WITHOUT ROWID;
  INSERT INTO trace_metadata_v2 SELECT n.trace_rk, o.key, o.value FROM trace_metadata o JOIN traces_v2 n ON n.trace_id = o.trace_id;

  CREATE TABLE spans_v2 (
    trace_rk INTEGER NOT NULL REFERENCES traces_v2 (trace_rk) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    span_type TEXT,
    status TEXT NOT NULL,
    start_time_ns INTEGER NOT NULL,
    end_time_ns INTEGER,
    content TEXT NOT NULL
  );
  INSERT INTO spans_v2 (trace_rk, position, span_id, parent_span_id, name, span_type, status, start_time_ns, end_time_ns, content)
    SELECT n.trace_rk, o.position, o.span_id, o.parent_span_id, o.name, o.span_type, o.status, o.start_time_ns, o.end_time_ns, o.content
    FROM spans o JOIN traces_v2 n ON n.trace_id = o.trace_id ORDER BY n.trace_rk, o.position;

  CREATE TABLE assessments_v2 (
    assessment_id TEXT PRIMARY KEY,
    trace_rk INTEGER NOT NULL REFERENCES traces_v2 (trace_rk) ON DELETE CASCADE,
    span_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    valid INTEGER NOT NULL,
    content TEXT NOT NULL
  );
  INSERT INTO assessments_v2 SELECT o.assessment_id, n.trace_rk, o.span_id, o.name, o.kind, o.source_type, o.source_id, o.create_time, o.valid, o.content
    FROM assessments o JOIN traces_v2 n ON n.trace_id = o.trace_id;

  DROP TABLE assessments;
  DROP TABLE spans;
  DROP TABLE trace_metadata;
  DROP TABLE trace_tags;
  DROP TABLE traces;
  ALTER TABLE traces_v2 RENAME TO traces;
  ALTER TABLE trace_tags_v2 RENAME TO trace_tags;
  ALTER TABLE trace_metadata_v2 RENAME TO trace_metadata;
  ALTER TABLE spans_v2 RENAME TO spans;
  ALTER TABLE assessments_v2 RENAME TO assessments;

  -- ascending time, so that new traces append (a DESC index prepends: its pages split half full);
  -- read backwards it serves the default order "request_time DESC, trace_id ASC"
  CREATE INDEX traces_by_experiment_time ON traces (experiment_id, request_time, trace_id DESC);
  CREATE INDEX traces_by_time ON traces (request_time);
  CREATE INDEX trace_tags_by_key_value ON trace_tags (key, value);
  CREATE INDEX trace_metadata_by_key_value ON trace_metadata (key, value) WHERE ${INDEXED_METADATA};
  CREATE INDEX spans_by_trace ON spans (trace_rk, position);
  CREATE INDEX assessments_by_trace ON assessments (trace_rk, create_time);
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to {@link SCHEMA_VERSION}; refuses databases from a newer Tracewright. */
export function migrate(db: DatabaseSync, path: string): void {
  const current = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `Trace database ${path} has schema version ${current}, newer than this Tracewright supports (${SCHEMA_VERSION}). Upgrade @tracewright/core.`,
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      // another process may have migrated while we waited for the write lock
      const now = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
      if (now > v) {
        db.exec("COMMIT");
        continue;
      }
      db.exec(MIGRATIONS[v] as string);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  }
}
