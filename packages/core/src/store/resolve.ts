import { ConfigurationError } from "../errors.js";
import { ReliableRemoteStore } from "./delivery/reliable-store.js";
import { InMemoryTraceStore } from "./memory-store.js";
import { MlflowTraceStore } from "./mlflow/mlflow-store.js";
import { connectionFromEnv } from "./mlflow/rest-client.js";
import { SqliteTraceStore } from "./sqlite/sqlite-store.js";
import { DEFAULT_SQLITE_PATH, sqlitePathFromUri } from "./sqlite/uri.js";
import type { TraceStore } from "./trace-store.js";

/** Where traces go when no tracking URI is configured. */
export const DEFAULT_TRACKING_URI = `sqlite:${DEFAULT_SQLITE_PATH}`;

type StoreFactory = (uri: string) => TraceStore;

const factories = new Map<string, StoreFactory>([
  ["memory", () => new InMemoryTraceStore()],
  ["sqlite", (uri) => new SqliteTraceStore(sqlitePathFromUri(uri))],
  ["http", (uri) => new ReliableRemoteStore(new MlflowTraceStore(connectionFromEnv(uri)), uri)],
  ["https", (uri) => new ReliableRemoteStore(new MlflowTraceStore(connectionFromEnv(uri)), uri)],
]);

/** The scheme of a tracking URI (`sqlite:///x.db` → `sqlite`), validated. */
export function schemeOf(uri: string): string {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(uri);
  if (!match) {
    throw new ConfigurationError(
      `Invalid tracking URI "${uri}": expected a URI such as "sqlite:///path/traces.db", "memory:" or "http://host:5000".`,
    );
  }
  return (match[1] as string).toLowerCase();
}

/** Creates the store a tracking URI names. */
export function createStoreForUri(uri: string): TraceStore {
  const scheme = schemeOf(uri);
  const factory = factories.get(scheme);
  if (!factory) {
    throw new ConfigurationError(
      `Unsupported tracking URI scheme "${scheme}" in "${uri}"; supported: ${[...factories.keys()].map((s) => `${s}:`).join(", ")}.`,
    );
  }
  return factory(uri);
}
