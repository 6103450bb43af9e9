// Overhead of @tracewright/mcp autolog on MCP tool calls: a real Client and McpServer of
// @modelcontextprotocol/sdk connected by the SDK's in-memory transport, in this thread, so the
// main thread's CPU (process.threadCpuUsage) per callTool covers both sides: the client's TOOL
// span, the trace context in params._meta, the server's span, and the trace's way to the store.
// Interleaved rounds of autolog off vs on; the figure is the median of the per-round differences.
// Run: pnpm turbo run build --filter=@tracewright/mcp... && node bench/mcp.mjs
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as tw from "@tracewright/core";
import { median } from "./lib.mjs";

// the SDK and zod are dependencies of packages/mcp, not of the workspace root
const fromMcp = createRequire(new URL("../packages/mcp/package.json", import.meta.url));
const load = (specifier) => import(pathToFileURL(fromMcp.resolve(specifier)).href);
const { Client } = await load("@modelcontextprotocol/sdk/client/index.js");
const { McpServer } = await load("@modelcontextprotocol/sdk/server/mcp.js");
const { InMemoryTransport } = await load("@modelcontextprotocol/sdk/inMemory.js");
const { z } = await load("zod");
const { autolog } = await import(new URL("../packages/mcp/dist/index.js", import.meta.url).href);

const CALLS = Number(process.env.BENCH_CALLS ?? 2000); // per block
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);

const server = new McpServer({ name: "bench", version: "1.0.0" });
server.registerTool("add", { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
  content: [{ type: "text", text: String(a + b) }],
}));
const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
const client = new Client({ name: "bench-client", version: "1.0.0" });
await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);

/** CPU of this thread per call (µs), over `count` sequential callTool calls and their traces' export. */
async function block(count) {
  const c0 = process.threadCpuUsage();
  for (let i = 0; i < count; i++) {
    const r = await client.callTool({ name: "add", arguments: { a: i, b: 1 } });
    if (r.content[0].text !== String(i + 1)) throw new Error("wrong result");
  }
  await tw.flushTraces();
  const c = process.threadCpuUsage(c0);
  return (c.user + c.system) / count;
}

class DiscardStore extends tw.InMemoryTraceStore {
  logTraces() {}
}

async function measure(storeName, store) {
  tw.setTraceStore(store);
  // warm both paths
  await autolog();
  await block(CALLS);
  await autolog({ disable: true });
  await block(CALLS);
  const plain = [];
  const added = [];
  for (let r = 0; r < ROUNDS; r++) {
    await autolog({ disable: true });
    const off = await block(CALLS);
    await autolog();
    const on = await block(CALLS);
    plain.push(off);
    added.push(on - off);
  }
  await autolog({ disable: true });
  return {
    store: storeName,
    "plain CPU µs/call": Math.round(median(plain)),
    "added CPU µs/call (median of round differences)": Math.round(median(added)),
    "added min..max µs": `${Math.round(Math.min(...added))}..${Math.round(Math.max(...added))}`,
  };
}

const rows = [await measure("discarding store (tracing only)", new DiscardStore())];
const dbPath = join(mkdtempSync(join(tmpdir(), "tw-bench-mcp-")), "traces.db");
const sqlite = new tw.SqliteTraceStore(dbPath);
rows.push(await measure("embedded SQLite", sqlite));
await client.close();
sqlite.close();
console.log(
  `@tracewright/mcp: main-thread CPU added per callTool, in-memory transport (client + server spans), ${ROUNDS} interleaved rounds of ${CALLS} calls`,
);
console.table(rows);
if (rows.some((r) => r["added CPU µs/call (median of round differences)"] <= 0)) {
  console.error("a non-positive overhead: the measurement is broken");
  process.exitCode = 1;
}
