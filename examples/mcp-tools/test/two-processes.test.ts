/**
 * The example as it runs: `node src/main.ts` spawns the weather server (src/server.ts) as a child
 * process over stdio; both processes are traced into the same SQLite file. The store holds one
 * trace: the agent, its MCP client spans, each server request span under the client span that
 * sent it, and the server's own work under that.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore, type Trace } from "@tracewright/core";
import { spanTree } from "@tracewright/testing";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

function tracesIn(path: string): Trace[] {
  const store = new SqliteTraceStore(path);
  try {
    return store.searchTraces({ maxResults: 100 }).traces;
  } finally {
    store.close();
  }
}

describe("mcp-tools example", () => {
  it("records one trace across the client and server processes, correctly nested", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-mcp-example-"));
    const db = join(dir, "traces.db");
    const { stdout } = await run(process.execPath, [main], {
      cwd: dir,
      env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}` },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { traceId: string; lines: string[] };
    expect(out.lines).toEqual(["Oslo: snow, -4 °C", "Lisbon: sunny, 19 °C", "Atlantis: not covered"]);

    const traces = tracesIn(db);
    expect(traces.map((t) => t.info.traceId)).toEqual([out.traceId]);
    const [t] = traces as [Trace];
    expect(spanTree(t)).toEqual([
      "plan_trip (AGENT) OK",
      "  Client.listTools (TOOL) OK",
      "    tools/list (TOOL) OK",
      "  Client.readResource (RETRIEVER) OK",
      "    resources/read weather://cities (RETRIEVER) OK",
      "  Client.callTool (TOOL) OK",
      "    tools/call get_weather (TOOL) OK",
      "      look_up_forecast (RETRIEVER) OK",
      "  Client.callTool (TOOL) OK",
      "    tools/call get_weather (TOOL) OK",
      "      look_up_forecast (RETRIEVER) OK",
    ]);
    const served = t.data.spans.filter((s) => s.name === "tools/call get_weather");
    expect(served.map((s) => (s.inputs as { arguments: { city: string } }).arguments.city)).toEqual(["Oslo", "Lisbon"]);
    expect(t.data.spans.filter((s) => s.name === "look_up_forecast").map((s) => s.outputs)).toEqual([
      "snow, -4 °C",
      "sunny, 19 °C",
    ]);
    expect(t.info.state).toBe("OK");
  });
});
