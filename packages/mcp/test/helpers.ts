import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { flushTraces, type InMemoryTraceStore, type Span, type Trace } from "@tracewright/core";
import { freshMemoryStore, storedTraces } from "@tracewright/testing";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { z } from "zod";
import { autolog } from "../src/index.js";

/** What each tool handler saw of its request's `_meta`, by the tool's `tag` argument. */
export const seenMeta = new Map<string, Record<string, unknown> | undefined>();

/** A small MCP server: tools (one fails with isError, one throws an McpError), a resource, a prompt. */
export function demoServer(): McpServer {
  const server = new McpServer({ name: "demo", version: "1.0.0" });
  server.registerTool(
    "add",
    { description: "adds two numbers", inputSchema: { a: z.number(), b: z.number(), tag: z.string().optional() } },
    async ({ a, b, tag }, extra) => {
      if (tag) seenMeta.set(tag, extra._meta as Record<string, unknown> | undefined);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5)));
      return { content: [{ type: "text", text: String(a + b) }] };
    },
  );
  server.registerTool("divide", { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) =>
    b === 0
      ? { content: [{ type: "text", text: "division by zero" }], isError: true }
      : { content: [{ type: "text", text: String(a / b) }] },
  );
  server.registerTool("locked", { inputSchema: {} }, async () => {
    throw new McpError(ErrorCode.InvalidRequest, "locked tool");
  });
  server.registerResource("readme", "file:///readme.md", { mimeType: "text/markdown" }, async (uri) => ({
    contents: [{ uri: uri.href, text: "# Read me" }],
  }));
  server.registerResource(
    "doc",
    new ResourceTemplate("doc://{id}", { list: undefined }),
    { mimeType: "text/plain" },
    async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `document ${String(id)}` }] }),
  );
  server.registerPrompt("greet", { argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}` } }],
  }));
  return server;
}

/** A client and a server connected through the SDK's in-memory transport. */
export async function connectInMemory<S extends McpServer | Server = McpServer>(
  server: S = demoServer() as S,
): Promise<{ client: Client; server: S }> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test-client", version: "1.0.0" });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return { client, server };
}

/** Autolog on, a fresh in-memory store per test, a connected client and server. */
export function setupMcpTest(): { store: () => InMemoryTraceStore; client: () => Client } {
  let store: InMemoryTraceStore;
  let connected: { client: Client; server: McpServer };
  beforeAll(async () => {
    await autolog();
  });
  beforeEach(async () => {
    connected = await connectInMemory();
    await flushTraces();
    store = freshMemoryStore();
  });
  afterEach(async () => {
    await connected.client.close();
  });
  return { store: () => store, client: () => connected.client };
}

/** Every trace stored. */
export async function traces(store: InMemoryTraceStore): Promise<Trace[]> {
  await flushTraces();
  return storedTraces(store);
}

/** The single trace stored, failing loudly otherwise. */
export async function onlyTrace(store: InMemoryTraceStore): Promise<Trace> {
  const all = await traces(store);
  if (all.length !== 1)
    throw new Error(
      `expected 1 trace, found ${all.length}: ${all.map((t) => t.data.spans.map((s) => s.name).join(",")).join(" | ")}`,
    );
  return all[0] as Trace;
}

/** The span of `trace` named `name`, failing loudly otherwise. */
export function spanNamed(trace: Trace, name: string): Span {
  const span = trace.data.spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span "${name}" in ${trace.data.spans.map((s) => s.name).join(", ")}`);
  return span;
}
