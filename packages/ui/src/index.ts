/**
 * `tracewright ui`: a local trace viewer. A small HTTP server (127.0.0.1 by default) serves a
 * bundled browser app and a validated JSON API over a trace store.
 *
 * @packageDocumentation
 */
export { MAX_BODY_BYTES, MAX_PAGE_SIZE } from "./server/api.js";
export { startUiServer, type UiServer, type UiServerOptions } from "./server/server.js";
export type { AssessmentView, SpanView, TraceSummary, TraceView } from "./server/views.js";
