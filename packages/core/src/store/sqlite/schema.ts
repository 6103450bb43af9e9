import type { DatabaseSync } from "node:sqlite";

/**
 * Schema migrations, applied in order inside one transaction each. `user_version` records how
 * many have run, so opening an older database upgrades it and a newer one is refused.
 */
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
