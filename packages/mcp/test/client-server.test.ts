/**
 * Client and server spans over the SDK's in-memory transport: span types and names, the raw
 * request and result as inputs and outputs, the server span as a child of the client span (through
 * the trace context in `params._meta`), results and errors handed back untouched.
 */

import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, CallToolResultSchema, ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { SpanAttributeKey, trace, withTracingContextFromHeaders } from "@tracewright/core";
import { describe, expect, it } from "vitest";
import { connectInMemory, onlyTrace, seenMeta, setupMcpTest, spanNamed, traces } from "./helpers.js";

const { store, client } = setupMcpTest();

const agent = <T>(fn: () => Promise<T>) => trace(fn, { name: "agent", spanType: "AGENT" })();

describe("client spans", () => {
  it("records callTool as a TOOL span under the active span, the server's span as its child", async () => {
    const result = await agent(() => client().callTool({ name: "add", arguments: { a: 2, b: 3 } }));
    expect(result).toEqual({ content: [{ type: "text", text: "5" }] });

    const t = await onlyTrace(store());
    const root = spanNamed(t, "agent");
    const call = spanNamed(t, "Client.callTool");
    const served = spanNamed(t, "tools/call add");
    expect(call.parentId).toBe(root.spanId);
    expect(served.parentId).toBe(call.spanId);
    expect(call.spanType).toBe("TOOL");
    expect(served.spanType).toBe("TOOL");
    expect(call.inputs).toEqual({ name: "add", arguments: { a: 2, b: 3 } });
    expect(call.outputs).toEqual(result);
    expect(served.outputs).toEqual(result);
    expect(call.getAttribute("gen_ai.tool.name")).toBe("add");
    expect(call.getAttribute("mcp.method.name")).toBe("tools/call");
    expect(served.getAttribute("jsonrpc.request.id")).toEqual(expect.any(String));
    expect(call.status.statusCode).toBe("OK");
    expect(t.data.spans).toHaveLength(3);
  });

  it("sends the client span's traceparent in params._meta, keeping the caller's own _meta", async () => {
    await agent(() =>
      client().callTool({
        name: "add",
        arguments: { a: 1, b: 1, tag: "meta" },
        _meta: { "app.example/request": "p1" },
      }),
    );
    const t = await onlyTrace(store());
    const call = spanNamed(t, "Client.callTool");
    const meta = seenMeta.get("meta");
    const otelTraceId = t.info.traceId.replace(/^tr-/, "");
    expect(meta?.traceparent).toBe(`00-${otelTraceId}-${call.spanId}-01`);
    expect(meta?.["app.example/request"]).toBe("p1");
    // the caller's params are not changed: the span records them as they were
    expect(call.inputs).toEqual({
      name: "add",
      arguments: { a: 1, b: 1, tag: "meta" },
      _meta: { "app.example/request": "p1" },
    });
  });

  it("passes the caller's tracestate on, in the trace the app's own caller started", async () => {
    const remoteTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    await withTracingContextFromHeaders(
      { traceparent: `00-${remoteTrace}-00f067aa0ba902b7-01`, tracestate: "rojo=00f067aa0ba902b7" },
      () => client().callTool({ name: "add", arguments: { a: 1, b: 1, tag: "state" } }),
    );
    const t = await onlyTrace(store());
    expect(t.info.traceId).toBe(`tr-${remoteTrace}`);
    const meta = seenMeta.get("state");
    expect(meta?.traceparent).toBe(`00-${remoteTrace}-${spanNamed(t, "Client.callTool").spanId}-01`);
    expect(meta?.tracestate).toBe("rojo=00f067aa0ba902b7");
    expect(spanNamed(t, "Client.callTool").parentId).toBe("00f067aa0ba902b7");
    expect(spanNamed(t, "tools/call add").parentId).toBe(spanNamed(t, "Client.callTool").spanId);
  });

  it("keeps a traceparent the caller put in _meta itself", async () => {
    const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    await agent(() =>
      client().callTool({ name: "add", arguments: { a: 1, b: 1, tag: "own" }, _meta: { traceparent: own } }),
    );
    expect(seenMeta.get("own")?.traceparent).toBe(own);
  });

  it("returns the very result object the SDK resolved", async () => {
    const c = client();
    let resolved: unknown;
    const request = c.request.bind(c);
    c.request = ((...args: Parameters<Client["request"]>) =>
      request(...args).then((r) => {
        resolved = r;
        return r;
      })) as Client["request"];
    const result = await agent(() => c.callTool({ name: "add", arguments: { a: 4, b: 4 } }));
    expect(result).toBe(resolved);
  });

  it("records readResource as RETRIEVER, getPrompt and the list methods with their types", async () => {
    await agent(async () => {
      await client().listTools();
      await client().listResources();
      await client().listPrompts();
      await client().readResource({ uri: "doc://42" });
      await client().getPrompt({ name: "greet", arguments: { name: "Ada" } });
    });
    const t = await onlyTrace(store());
    const types = Object.fromEntries(t.data.spans.map((s) => [s.name, s.spanType]));
    expect(types).toEqual({
      agent: "AGENT",
      "Client.listTools": "TOOL",
      "tools/list": "TOOL",
      "Client.listResources": "UNKNOWN",
      "resources/list": "UNKNOWN",
      "Client.listPrompts": "UNKNOWN",
      "prompts/list": "UNKNOWN",
      "Client.readResource": "RETRIEVER",
      "resources/read doc://42": "RETRIEVER",
      "Client.getPrompt": "UNKNOWN",
      "prompts/get greet": "UNKNOWN",
    });
    const read = spanNamed(t, "Client.readResource");
    expect(read.outputs).toEqual({ contents: [{ uri: "doc://42", text: "document 42" }] });
    expect(read.getAttribute("mcp.resource.uri")).toBe("doc://42");
    expect(spanNamed(t, "resources/read doc://42").parentId).toBe(read.spanId);
    expect(spanNamed(t, "prompts/get greet").getAttribute("gen_ai.prompt.name")).toBe("greet");
    const listed = spanNamed(t, "Client.listTools").outputs as { tools: Array<{ name: string }> };
    expect(listed.tools.map((tool) => tool.name)).toEqual(["add", "divide", "locked"]);
  });

  it("starts a trace of its own when no span is active, the server span inside it", async () => {
    await client().callTool({ name: "add", arguments: { a: 1, b: 2 } });
    const t = await onlyTrace(store());
    const call = spanNamed(t, "Client.callTool");
    expect(call.parentId).toBeNull();
    expect(spanNamed(t, "tools/call add").parentId).toBe(call.spanId);
  });

  it("gives a request that carries no trace context (a client without Tracewright) a trace of its own", async () => {
    // Client.request is the SDK's untraced low-level path: no span, no _meta
    const result = await client().request(
      { method: "tools/call", params: { name: "add", arguments: { a: 5, b: 5, tag: "bare" } } },
      CallToolResultSchema,
    );
    expect(result.content).toEqual([{ type: "text", text: "10" }]);
    expect(seenMeta.get("bare")).toBeUndefined();
    const t = await onlyTrace(store());
    expect(t.data.spans.map((s) => [s.name, s.parentId])).toEqual([["tools/call add", null]]);
  });

  it("does not trace the connection's initialize request", async () => {
    // setup connected a client; nothing of it is in the store
    await client().ping();
    expect(await traces(store())).toEqual([]);
  });
});

describe("errors", () => {
  it("marks both spans as failed for a tool result with isError: true, and returns the result", async () => {
    const result = await agent(() => client().callTool({ name: "divide", arguments: { a: 1, b: 0 } }));
    expect(result).toEqual({ content: [{ type: "text", text: "division by zero" }], isError: true });
    const t = await onlyTrace(store());
    for (const name of ["Client.callTool", "tools/call divide"]) {
      const span = spanNamed(t, name);
      expect(span.status.statusCode).toBe("ERROR");
      expect(span.status.description).toBe("division by zero");
      expect(span.outputs).toEqual(result);
    }
    expect(spanNamed(t, "agent").status.statusCode).toBe("OK");
  });

  it("records a thrown McpError on both spans and rethrows the very error the SDK rejected with", async () => {
    // a low-level Server whose handler throws: the client's callTool rejects with an McpError
    const server = new Server({ name: "low-level", version: "1.0.0" }, { capabilities: { tools: {} } });
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool ${request.params.name}`);
    });
    const { client: c } = await connectInMemory(server);
    let rejected: unknown;
    const request = c.request.bind(c);
    c.request = ((...args: Parameters<Client["request"]>) =>
      request(...args).catch((e: unknown) => {
        rejected = e;
        throw e;
      })) as Client["request"];
    const error = await agent(() => c.callTool({ name: "no-such-tool", arguments: {} })).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(McpError);
    expect(error).toBe(rejected);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
    const t = await onlyTrace(store());
    for (const name of ["Client.callTool", "tools/call no-such-tool"]) {
      const span = spanNamed(t, name);
      expect(span.status.statusCode).toBe("ERROR");
      expect(span.events.map((e) => e.name)).toContain("exception");
      expect(JSON.stringify(span.events)).toContain("unknown tool no-such-tool");
    }
    expect(spanNamed(t, "tools/call no-such-tool").parentId).toBe(spanNamed(t, "Client.callTool").spanId);
  });

  it("a tool that throws an McpError: the server reports it (McpServer turns it into isError), both spans fail", async () => {
    const result = await agent(() => client().callTool({ name: "locked", arguments: {} }));
    expect(result.isError).toBe(true);
    const t = await onlyTrace(store());
    expect(spanNamed(t, "tools/call locked").status.statusCode).toBe("ERROR");
    expect(spanNamed(t, "Client.callTool").status.statusCode).toBe("ERROR");
    expect(spanNamed(t, "Client.callTool").status.description).toContain("locked tool");
  });
});

describe("token usage", () => {
  it("records none: MCP calls are not LLM calls", async () => {
    await agent(() => client().callTool({ name: "add", arguments: { a: 1, b: 2 } }));
    const t = await onlyTrace(store());
    for (const s of t.data.spans) expect(s.getAttribute(SpanAttributeKey.CHAT_USAGE)).toBeUndefined();
  });
});
