import type { AutologOptions } from "@tracewright/core/instrumentation";

/** The options of `autolog()`: the kit's common options (`disable`, `silent`, `redact`, `recordContent`, `logTraces`). */
export type McpAutologOptions = AutologOptions;

/** The parts of a JSON-RPC request the spans read (`_meta` carries the trace context, SEP-414). */
export interface McpRequest {
  method: string;
  id?: string | number;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
}

/** A request handler as the SDK's Protocol keeps it: `(request, extra) => Promise<result>`. */
export type RequestHandler = (request: McpRequest, extra: unknown) => unknown;

/** What the server patch touches on a Protocol instance (private in the SDK's types, present at runtime). */
export interface ProtocolInternals {
  _requestHandlers?: Map<string, RequestHandler>;
  fallbackRequestHandler?: RequestHandler;
  transport?: { sessionId?: string };
}
