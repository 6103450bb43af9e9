/**
 * Server side: each request a `Server` (and so an `McpServer`, which serves through one) handles
 * runs in a span, in the trace context its `params._meta` carries, so the client's trace continues
 * here. The SDK looks the handler up when the request arrives (`Protocol._onrequest`) and runs it
 * later; for the length of that look-up the handler is swapped for a traced one, so handlers
 * registered before autolog are traced too and nothing stays changed in the instance.
 */
import { SpanStatus } from "@tracewright/core";
import { type Integration, isRecord, type MethodPatches } from "@tracewright/core/instrumentation";
import { requestAttributes, serverSpanName, spanTypeOf, toolErrorOf } from "./convert.js";
import { inTraceContextOf, traceContextOf } from "./trace-context.js";
import type { McpRequest, ProtocolInternals, RequestHandler } from "./types.js";

// biome-ignore lint/suspicious/noExplicitAny: wrappers forward whatever the SDK's methods take
type AnyMethod = (this: any, ...args: any[]) => any;

/** Connection housekeeping: not traced unless the request carries a trace context. */
const HOUSEKEEPING = new Set(["initialize", "ping"]);

/** Patches `Server.prototype` of one loaded copy of `@modelcontextprotocol/sdk/server/index.js`. False when it does not look like it. */
export function patchServerModule(
  mod: unknown,
  integration: Integration<never, unknown>,
  patches: MethodPatches,
): boolean {
  const proto = isRecord(mod) && typeof mod.Server === "function" ? (mod.Server.prototype as object) : null;
  if (proto === null || typeof (proto as Record<string, unknown>)._onrequest !== "function") return false;
  return patches.wrap(proto, "_onrequest", (original) => tracedOnRequest(original, integration));
}

function tracedOnRequest(original: AnyMethod, integration: Integration<never, unknown>): AnyMethod {
  return function _onrequest(this: ProtocolInternals, request: McpRequest, extra: unknown) {
    const handlers = this._requestHandlers;
    const method = isRecord(request) ? request.method : undefined;
    if (
      integration.active() === null ||
      !(handlers instanceof Map) ||
      typeof method !== "string" ||
      (HOUSEKEEPING.has(method) && traceContextOf(request.params) === null)
    ) {
      return original.call(this, request, extra);
    }
    const own = handlers.get(method);
    const handler = own ?? this.fallbackRequestHandler;
    if (typeof handler !== "function") return original.call(this, request, extra); // the SDK replies "method not found"
    const traced: RequestHandler = (req, fullExtra) => handleInSpan(integration, this, req, fullExtra, handler);
    if (own) handlers.set(method, traced);
    else this.fallbackRequestHandler = traced;
    try {
      return original.call(this, request, extra);
    } finally {
      if (own) {
        if (handlers.get(method) === traced) handlers.set(method, own);
      } else if (this.fallbackRequestHandler === traced) this.fallbackRequestHandler = handler;
    }
  };
}

function handleInSpan(
  integration: Integration<never, unknown>,
  server: ProtocolInternals,
  request: McpRequest,
  extra: unknown,
  handler: RequestHandler,
): unknown {
  const { method, params } = request;
  const attributes = requestAttributes(method, params);
  if (request.id !== undefined) attributes["jsonrpc.request.id"] = String(request.id);
  const sessionId = server.transport?.sessionId;
  if (typeof sessionId === "string") attributes["mcp.session.id"] = sessionId;
  return inTraceContextOf(params, () =>
    integration.instrumentCall(
      { name: serverSpanName(method, params), spanType: spanTypeOf(method), inputs: params ?? {}, attributes },
      () => handler(request, extra),
      {
        onResult: (span, result) => {
          span.setOutputs(result);
          const toolError = method === "tools/call" ? toolErrorOf(result) : null;
          if (toolError !== null) span.setStatus(new SpanStatus("ERROR", toolError));
        },
      },
    ),
  );
}
