// Runs the agent against the weather server, started as a child process over stdio. Both
// processes are traced into the same store; the trace context travels in each request's
// params._meta, so the server's spans join the agent's trace: one trace covers both processes.
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { flushTraces, getLastActiveTraceId, setExperiment } from "@tracewright/core";
import { autolog } from "@tracewright/mcp";
import { planTrip } from "./agent.ts";

await autolog();
await setExperiment("mcp-tools");

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [fileURLToPath(new URL("./server.ts", import.meta.url))],
  // the server inherits the environment, TRACEWRIGHT_TRACKING_URI included: the same store
  env: process.env as Record<string, string>,
  stderr: "inherit",
});
const client = new Client({ name: "trip-planner", version: "1.0.0" });
await client.connect(transport);
const lines = await planTrip(client, ["Oslo", "Lisbon", "Atlantis"]);
await client.close();
await flushTraces();
console.log(lines.join("\n"));
console.log(JSON.stringify({ traceId: getLastActiveTraceId(), lines }));
