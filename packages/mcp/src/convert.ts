/**
 * What a span says about an MCP request: its name, span type and attributes, on the client (one
 * span per `Client` method) and on the server (one span per handled request).
 */
import { type SpanType, SpanType as SpanTypes } from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";

/** The `Client` methods traced, the request each sends, and its span type. */
export const CLIENT_METHODS = {
  callTool: { method: "tools/call", spanType: SpanTypes.TOOL },
  readResource: { method: "resources/read", spanType: SpanTypes.RETRIEVER },
  getPrompt: { method: "prompts/get", spanType: SpanTypes.UNKNOWN },
  listTools: { method: "tools/list", spanType: SpanTypes.TOOL },
  listResources: { method: "resources/list", spanType: SpanTypes.UNKNOWN },
  listPrompts: { method: "prompts/list", spanType: SpanTypes.UNKNOWN },
} as const satisfies Record<string, { method: string; spanType: SpanType }>;

export type ClientMethod = keyof typeof CLIENT_METHODS;

/**
 * The span type of a request by its method: a tool call is a TOOL span; reading a resource a
 * RETRIEVER span (it fetches documents for the model); listing tools a TOOL span, as MLflow's
 * pydantic_ai integration records `MCPServer.list_tools`. MLflow has no MCP client autolog of its
 * own to follow for the rest, so they are UNKNOWN, MLflow's default type.
 */
export function spanTypeOf(method: string): SpanType {
  for (const entry of Object.values(CLIENT_METHODS)) if (entry.method === method) return entry.spanType;
  return SpanTypes.UNKNOWN;
}

/** What a request is about: the tool, resource or prompt it names. */
function targetOf(method: string, params: unknown): string | undefined {
  if (!isRecord(params)) return undefined;
  const value =
    method === "resources/read"
      ? params.uri
      : method.endsWith("/call") || method === "prompts/get"
        ? params.name
        : undefined;
  return typeof value === "string" ? value : undefined;
}

/**
 * Attributes of an MCP request, in the OpenTelemetry MCP conventions' names (`mcp.method.name`,
 * `gen_ai.tool.name`, `mcp.resource.uri`, `gen_ai.prompt.name`), so a trace is searchable by tool.
 */
export function requestAttributes(method: string, params: unknown): Record<string, unknown> {
  const attributes: Record<string, unknown> = { "mcp.method.name": method };
  const target = targetOf(method, params);
  if (target !== undefined) {
    if (method === "tools/call") attributes["gen_ai.tool.name"] = target;
    else if (method === "resources/read") attributes["mcp.resource.uri"] = target;
    else if (method === "prompts/get") attributes["gen_ai.prompt.name"] = target;
  }
  return attributes;
}

/** The server span's name: the method and its target, as the OpenTelemetry MCP conventions name spans (`tools/call get_weather`). */
export function serverSpanName(method: string, params: unknown): string {
  const target = targetOf(method, params);
  return target === undefined ? method : `${method} ${target}`;
}

/**
 * The error a tool result reports with `isError: true` (the tool ran and failed; the call did
 * not throw): its text content, for the span's status. Null for a successful result.
 */
export function toolErrorOf(result: unknown): string | null {
  if (!isRecord(result) || result.isError !== true) return null;
  const texts = Array.isArray(result.content)
    ? result.content.flatMap((c) => (isRecord(c) && c.type === "text" && typeof c.text === "string" ? [c.text] : []))
    : [];
  return texts.join("\n") || "the tool reported an error (isError: true)";
}
