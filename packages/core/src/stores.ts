/**
 * `@tracewright/core/stores`: the trace stores, for applications that pick or combine
 * destinations in code (`setTraceStore`, `setTraceDestinations`) and for tools that read stores.
 *
 * @packageDocumentation
 */

export { type DeliveryOptions, ReliableRemoteStore } from "./store/delivery/reliable-store.js";
export { type FilterClause, type FilterField, type FilterOperator, parseFilter } from "./store/filter/parser.js";
export { InMemoryTraceStore } from "./store/memory-store.js";
export { MlflowTraceStore } from "./store/mlflow/mlflow-store.js";
export { type MlflowConnection, MlflowRestError } from "./store/mlflow/rest-client.js";
export { MultiTraceStore } from "./store/multi-store.js";
export { type OtlpProtocol, OtlpTraceExporter, OtlpTraceStore } from "./store/otlp/otlp-store.js";
export { DEFAULT_TRACKING_URI } from "./store/resolve.js";
export { SqliteTraceStore } from "./store/sqlite/sqlite-store.js";
export { sqlitePathFromUri } from "./store/sqlite/uri.js";
export type {
  DeleteTracesOptions,
  Experiment,
  MaybePromise,
  SearchTracesOptions,
  TraceExporter,
  TracePage,
  TraceStore,
} from "./store/trace-store.js";
