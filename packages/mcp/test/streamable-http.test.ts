/**
 * Over the Streamable HTTP transport, through a real loopback HTTP server: the server handles each
 * request in the context of its HTTP request, not the caller's, so the span's parent can only come
 * from the trace context in `params._meta`. The server span also names the HTTP session.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { flushTraces, trace } from "@tracewright/core";
import { freshMemoryStore } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { demoServer, onlyTrace, spanNamed } from "./helpers.js";

let http: HttpServer;
let serverTransport: StreamableHTTPServerTransport;
let url: URL;
beforeAll(async () => {
  await autolog();
  serverTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => "session-for-test-1" });
  await demoServer().connect(serverTransport);
  http = createServer((req, res) => {
    void serverTransport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});
afterAll(async () => {
  await serverTransport.close();
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

describe("Streamable HTTP", () => {
  it("nests the server span under the client's callTool span and records the session id", async () => {
    const client = new Client({ name: "http-client", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url));
    await flushTraces();
    const store = freshMemoryStore();
    const result = await trace(() => client.callTool({ name: "add", arguments: { a: 20, b: 22 } }), {
      name: "agent",
    })();
    await client.close();
    expect(result).toEqual({ content: [{ type: "text", text: "42" }] });
    const t = await onlyTrace(store);
    const call = spanNamed(t, "Client.callTool");
    const served = spanNamed(t, "tools/call add");
    expect(call.parentId).toBe(spanNamed(t, "agent").spanId);
    expect(served.parentId).toBe(call.spanId);
    expect(served.getAttribute("mcp.session.id")).toBe("session-for-test-1");
  });
});
