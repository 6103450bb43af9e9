import { ConfigurationError } from "../errors.js";
import { ReliableRemoteStore } from "./delivery/reliable-store.js";
import { InMemoryTraceStore } from "./memory-store.js";
import { MlflowTraceStore } from "./mlflow/mlflow-store.js";
import { connectionFromEnv } from "./mlflow/rest-client.js";
import { SqliteTraceStore } from "./sqlite/sqlite-store.js";
import { DEFAULT_SQLITE_PATH, sqlitePathFromUri } from "./sqlite/uri.js";
import type { TraceExporter, TraceStore } from "./trace-store.js";

/** Where traces go when no tracking URI is configured. */
export const DEFAULT_TRACKING_URI = `sqlite:${DEFAULT_SQLITE_PATH}`;

/** Where traces go: what the export queue writes to, and the store reads go to (null when none can). */
export interface TraceDestination {
  exporter: TraceExporter;
  store: TraceStore | null;
}

type DestinationFactory = (uri: string) => TraceDestination;

const local = (store: TraceStore): TraceDestination => ({ exporter: store, store });

/** An MLflow server: traces go through the crash-safe spool, reads straight to the server. */
function mlflowServer(uri: string): TraceDestination {
  const server = new MlflowTraceStore(connectionFromEnv(uri));
  return { exporter: new ReliableRemoteStore(server, uri), store: server };
}

const factories = new Map<string, DestinationFactory>([
  ["memory", () => local(new InMemoryTraceStore())],
  ["sqlite", (uri) => local(new SqliteTraceStore(sqlitePathFromUri(uri)))],
  ["http", mlflowServer],
  ["https", mlflowServer],
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

/** Creates the destination a tracking URI names. */
export function createDestinationForUri(uri: string): TraceDestination {
  const scheme = schemeOf(uri);
  const factory = factories.get(scheme);
  if (!factory) {
    throw new ConfigurationError(
      `Unsupported tracking URI scheme "${scheme}" in "${uri}"; supported: ${[...factories.keys()].map((s) => `${s}:`).join(", ")}.`,
    );
  }
  return factory(uri);
}
