import type { DatabaseSync } from "node:sqlite";
import { TraceMetadataKey } from "../../constants.js";

/**
 * Metadata keys whose values are unique per trace (or the same for every trace) and written by
 * Tracewright itself: kept out of the (key, value) index, where each would cost an entry per trace
 * that no search needs. Filters on them test each trace's row. The v3 triggers and the index
 * entries of existing files follow this list: changing it takes a migration (and the writer's copy
 * in batch-writer.ts).
 */
export const UNINDEXED_METADATA_KEYS = [
  TraceMetadataKey.INPUTS,
  TraceMetadataKey.OUTPUTS,
  TraceMetadataKey.TOKEN_USAGE,
  TraceMetadataKey.SIZE_BYTES,
  TraceMetadataKey.SIZE_STATS,
  TraceMetadataKey.SCHEMA_VERSION,
  "tracewright.trace.truncation",
] as const;

/** Whether entries of `kind`'s `key` are in `trace_key_values` (every tag is; most metadata is). */
export function isIndexedKey(kind: KeyKind, key: string): boolean {
  return kind === KeyKind.TAG || !(UNINDEXED_METADATA_KEYS as readonly string[]).includes(key);
}

/** `trace_keys.kind`: which map of the trace a key belongs to. */
export const KeyKind = { TAG: 0, METADATA: 1 } as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

/**
 * How many span keys each trace owns: span `i` of the trace with row key `rk` is the spans row
 * `rk * SPAN_KEYS_PER_TRACE + i`, so a trace's spans are one range of the table's own key (no
 * index, no trace column). 2^20 spans per trace, and row keys below 2^33, keep every key an exact
 * JavaScript number.
 */
export const SPAN_KEYS_PER_TRACE = 1_048_576;

/**
 * The indexed key of a trace id, as an SQL expression over `x`: of an MLflow id (`tr-` and 32
 * hex digits) the first 12 digits and the last 4, else the whole id. Tracewright's ids start with
 * the time in milliseconds, so new traces land at the index's right edge; an index entry is 16
 * characters instead of 35 (the full id is compared after the lookup), and ids that share a long
 * prefix (zero-padded counters) still spread over 65,536 keys.
 */
export const traceIdKey = (x: string): string =>
  `iif(length(${x}) = 35 AND substr(${x}, 1, 3) = 'tr-', substr(${x}, 4, 12) || substr(${x}, 32, 4), ${x})`;

/** The WHERE term that finds the trace whose id is the parameter `param` (`?` or `?1`) through the index. */
export const traceIdMatch = (column: string, param: string): string =>
  `${traceIdKey(column)} = ${traceIdKey(param)} AND ${column} = ${param}`;

/** The JSON path of an object member, for json_extract / json_set / json_remove: any key, quoted. */
export const jsonMemberPath = (key: string): string => `$.${JSON.stringify(key)}`;

const UNINDEXED_METADATA_SQL = UNINDEXED_METADATA_KEYS.map((k) => `'${k}'`).join(", ");

/**
 * The (key, value) index entries of a trace row `r` (`new` or `old` in a trigger): every tag and
 * the indexed metadata, keys interned in `trace_keys`.
 */
const indexEntries = (r: string): string => `
    SELECT k.key_id, j.value, ${r}.trace_rk FROM json_each(${r}.tags) j
      JOIN trace_keys k ON k.kind = ${KeyKind.TAG} AND k.key = j.key
    UNION ALL
    SELECT k.key_id, j.value, ${r}.trace_rk FROM json_each(${r}.metadata) j
      JOIN trace_keys k ON k.kind = ${KeyKind.METADATA} AND k.key = j.key
      WHERE j.key NOT IN (${UNINDEXED_METADATA_SQL})`;

/** Trigger steps that add the index entries of trace row `r`, interning keys not seen before. */
const addIndexEntries = (r: string): string => `
    INSERT OR IGNORE INTO trace_keys (kind, key)
      SELECT ${KeyKind.TAG}, key FROM json_each(${r}.tags)
      UNION ALL
      SELECT ${KeyKind.METADATA}, key FROM json_each(${r}.metadata) WHERE key NOT IN (${UNINDEXED_METADATA_SQL});
    INSERT INTO trace_key_values (key_id, value, trace_rk) ${indexEntries(r)};`;

/**
 * @internal The trigger step that removes the index entries of trace row `r`: every entry of its
 * `trace_rk` whose key and value are among the row's (the key and value lists, not the pairs,
 * so that SQLite looks each one up in the primary key; a row-value IN of the pairs scans the
 * whole table, measured). Exported for the test of its query plan.
 */
export const removeIndexEntries = (r: string): string => `
    DELETE FROM trace_key_values WHERE trace_rk = ${r}.trace_rk
      AND key_id IN (
        SELECT k.key_id FROM json_each(${r}.tags) j JOIN trace_keys k ON k.kind = ${KeyKind.TAG} AND k.key = j.key
        UNION ALL
        SELECT k.key_id FROM json_each(${r}.metadata) j JOIN trace_keys k ON k.kind = ${KeyKind.METADATA} AND k.key = j.key)
      AND value IN (SELECT value FROM json_each(${r}.tags) UNION ALL SELECT value FROM json_each(${r}.metadata));`;

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
  CREATE INDEX trace_metadata_by_key_value ON trace_metadata (key, value) WHERE key NOT IN ('mlflow.traceInputs', 'mlflow.traceOutputs', 'mlflow.trace.tokenUsage', 'mlflow.trace.sizeBytes', 'tracewright.trace.truncation');
  CREATE INDEX spans_by_trace ON spans (trace_rk, position);
  CREATE INDEX assessments_by_trace ON assessments (trace_rk, create_time);
  `,
  // v3: fewer rows and B-trees per trace (measured with dbstat: 1,404 bytes of file per one-span
  // trace in v2, in 10 B-trees and 7 rows). A trace is one row: its tags and metadata are JSON
  // objects in it, and the (key, value) index is one table for both, with interned keys and
  // without the values no search needs (UNINDEXED_METADATA_KEYS). The writer adds a new trace's
  // entries (batch-writer.ts); triggers keep them in step when tags change or a trace is deleted.
  // `mlflow.traceInputs` / `traceOutputs` are columns, 0 when equal to the request / response
  // preview (what trace() writes for short inputs): not stored twice; so is the schema version. Span rows are keyed by trace
  // and position in the table's own integer key (no index, no trace column) and keep only what
  // filters read besides the span JSON. The trace id index holds a 16-character key of the id,
  // not the id. No foreign keys: the delete trigger cascades.
  `
  CREATE TABLE trace_keys (
    key_id INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (kind, key)
  );
  CREATE TABLE trace_key_values (
    key_id INTEGER NOT NULL,
    value TEXT NOT NULL,
    trace_rk INTEGER NOT NULL,
    PRIMARY KEY (key_id, value, trace_rk)
  ) WITHOUT ROWID;

  CREATE TABLE traces_v3 (
    trace_rk INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    experiment_id TEXT NOT NULL,
    request_time INTEGER NOT NULL,
    execution_duration INTEGER,
    state TEXT NOT NULL,
    client_request_id TEXT,
    tags TEXT NOT NULL,
    metadata TEXT NOT NULL,
    request_preview TEXT,
    response_preview TEXT,
    -- mlflow.traceInputs / mlflow.traceOutputs: NULL when absent, 0 when equal to the preview
    -- (no declared type: a column type would convert text that looks like a number)
    trace_inputs,
    trace_outputs,
    -- mlflow.trace_schema.version, the same in nearly every trace: 1 byte here, 32 in the JSON
    schema_version TEXT
  );
  INSERT INTO traces_v3 (trace_rk, trace_id, experiment_id, request_time, execution_duration, state, client_request_id,
      tags, metadata, request_preview, response_preview, trace_inputs, trace_outputs, schema_version)
    SELECT t.trace_rk, t.trace_id, t.experiment_id, t.request_time, t.execution_duration, t.state, t.client_request_id,
      coalesce((SELECT json_group_object(g.key, g.value) FROM trace_tags g WHERE g.trace_rk = t.trace_rk), '{}'),
      coalesce((SELECT json_group_object(m.key, m.value) FROM trace_metadata m
        WHERE m.trace_rk = t.trace_rk
        AND m.key NOT IN ('${TraceMetadataKey.INPUTS}', '${TraceMetadataKey.OUTPUTS}', '${TraceMetadataKey.SCHEMA_VERSION}')), '{}'),
      t.request_preview, t.response_preview,
      (SELECT iif(m.value IS t.request_preview, 0, m.value) FROM trace_metadata m
        WHERE m.trace_rk = t.trace_rk AND m.key = '${TraceMetadataKey.INPUTS}'),
      (SELECT iif(m.value IS t.response_preview, 0, m.value) FROM trace_metadata m
        WHERE m.trace_rk = t.trace_rk AND m.key = '${TraceMetadataKey.OUTPUTS}'),
      (SELECT m.value FROM trace_metadata m WHERE m.trace_rk = t.trace_rk AND m.key = '${TraceMetadataKey.SCHEMA_VERSION}')
    FROM traces t ORDER BY t.trace_rk;

  INSERT INTO trace_keys (kind, key)
    SELECT DISTINCT ${KeyKind.TAG}, key FROM trace_tags
    UNION SELECT DISTINCT ${KeyKind.METADATA}, key FROM trace_metadata WHERE key NOT IN (${UNINDEXED_METADATA_SQL});
  INSERT INTO trace_key_values (key_id, value, trace_rk)
    SELECT k.key_id, o.value, o.trace_rk FROM trace_tags o JOIN trace_keys k ON k.kind = ${KeyKind.TAG} AND k.key = o.key
    UNION ALL
    SELECT k.key_id, o.value, o.trace_rk FROM trace_metadata o JOIN trace_keys k ON k.kind = ${KeyKind.METADATA} AND k.key = o.key;

  CREATE TABLE spans_v3 (
    span_key INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    span_type TEXT,
    status TEXT NOT NULL,
    content TEXT NOT NULL
  );
  INSERT INTO spans_v3 (span_key, name, span_type, status, content)
    SELECT trace_rk * ${SPAN_KEYS_PER_TRACE} + row_number() OVER (PARTITION BY trace_rk ORDER BY position, rowid) - 1,
      name, span_type, status, content
    FROM spans ORDER BY 1;

  CREATE TABLE assessments_v3 (
    assessment_id TEXT PRIMARY KEY,
    trace_rk INTEGER NOT NULL,
    span_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    valid INTEGER NOT NULL,
    content TEXT NOT NULL
  );
  INSERT INTO assessments_v3 SELECT * FROM assessments;

  DROP TABLE assessments;
  DROP TABLE spans;
  DROP TABLE trace_metadata;
  DROP TABLE trace_tags;
  DROP TABLE traces;
  ALTER TABLE traces_v3 RENAME TO traces;
  ALTER TABLE spans_v3 RENAME TO spans;
  ALTER TABLE assessments_v3 RENAME TO assessments;

  CREATE INDEX traces_by_id ON traces (${traceIdKey("trace_id")});
  -- no trace id in it: ties in time are sorted as they come (SQLite sorts the right part of the
  -- ORDER BY per run of equal times), and the id would double the entry
  CREATE INDEX traces_by_experiment_time ON traces (experiment_id, request_time);
  CREATE INDEX traces_by_time ON traces (request_time);
  CREATE INDEX assessments_by_trace ON assessments (trace_rk, create_time);

  CREATE TRIGGER traces_update_keys AFTER UPDATE OF tags, metadata ON traces BEGIN${removeIndexEntries("old")}${addIndexEntries("new")}
  END;
  CREATE TRIGGER traces_delete AFTER DELETE ON traces BEGIN${removeIndexEntries("old")}
    DELETE FROM spans WHERE span_key BETWEEN old.trace_rk * ${SPAN_KEYS_PER_TRACE} AND old.trace_rk * ${SPAN_KEYS_PER_TRACE} + ${SPAN_KEYS_PER_TRACE - 1};
    DELETE FROM assessments WHERE trace_rk = old.trace_rk;
  END;
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
