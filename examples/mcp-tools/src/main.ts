// Runs the agent against the weather server, started as a child process over stdio. Both are
// traced; the trace context travels in each request's params._meta, so the server's spans join the
// agent's trace. The server writes to its own store (MCP_SERVER_TRACKING_URI, default
// ./mcp-server-traces.db); at the end the two parts are read back and printed as one trace.
// (The embedded store keeps one part per trace id: a part logged later with the same id replaces
// the earlier one, so the agent makes one server request per trace and the server has a store of
// its own.)
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  flushTraces,
  getLastActiveTraceId,
  getTrace,
  type Span,
  SqliteTraceStore,
  setExperiment,
} from "@tracewright/core";
import { autolog } from "@tracewright/mcp";
import { checkServer, planTrip } from "./agent.ts";

await autolog();
await setExperiment("mcp-tools");

const serverStore = process.env.MCP_SERVER_TRACKING_URI ?? "sqlite:mcp-server-traces.db";
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [fileURLToPath(new URL("./server.ts", import.meta.url))],
  env: { ...(process.env as Record<string, string>), TRACEWRIGHT_TRACKING_URI: serverStore },
  stderr: "inherit",
});
const client = new Client({ name: "trip-planner", version: "1.0.0" });
await client.connect(transport);
await checkServer(client);
const lines = await planTrip(client, ["Oslo", "Lisbon", "Atlantis"]);
await client.close();
await flushTraces();
console.log(lines.join("\n"));

// the agent's part from this process's store, the server's parts from the server's store
const traceId = getLastActiveTraceId();
const agentPart = traceId ? await getTrace(traceId) : null;
const server = new SqliteTraceStore(serverStore.replace(/^sqlite:(\/\/)?/, ""));
const serverParts = server.searchTraces({ maxResults: 100 }).traces.filter((t) => t.info.traceId === traceId);
server.close();
const spans: Span[] = [...(agentPart?.data.spans ?? []), ...serverParts.flatMap((t) => t.data.spans)];
const print = (parentId: string | null, depth: number): void => {
  for (const s of spans.filter((x) => x.parentId === parentId).sort((a, b) => a.startTimeNs - b.startTimeNs)) {
    console.log(`${"  ".repeat(depth)}${s.name} (${s.spanType}) ${s.status.statusCode}`);
    print(s.spanId, depth + 1);
  }
};
console.log(`\ntrace ${traceId}:`);
print(null, 0);
console.log(JSON.stringify({ traceId, lines }));
