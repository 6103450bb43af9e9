/**
 * The example as it runs: `node src/main.ts` spawns the weather server (src/server.ts) as a child
 * process over stdio; both are traced, each into its own SQLite store. Read together, the stores
 * hold the agent's trace whole: the agent, its MCP client span, the server's request span under it,
 * and the server's own work under that.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Span, SqliteTraceStore, type Trace } from "@tracewright/core";
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
    const clientDb = join(dir, "client.db");
    const serverDb = join(dir, "server.db");
    const { stdout } = await run(process.execPath, [main], {
      cwd: dir,
      env: {
        ...process.env,
        TRACEWRIGHT_TRACKING_URI: `sqlite://${clientDb}`,
        MCP_SERVER_TRACKING_URI: `sqlite://${serverDb}`,
      },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { traceId: string; lines: string[] };
    expect(out.lines).toEqual(["Oslo: snow, -4 °C", "Lisbon: sunny, 19 °C", "Atlantis: not covered"]);

    const agentPart = tracesIn(clientDb).find((t) => t.info.traceId === out.traceId)!;
    const serverParts = tracesIn(serverDb).filter((t) => t.info.traceId === out.traceId);
    expect(serverParts).toHaveLength(1);
    const spans: Span[] = [...agentPart.data.spans, ...serverParts[0]!.data.spans];
    const named = (name: string) => spans.filter((s) => s.name === name);
    const [agent] = named("plan_trip");
    const [call] = named("Client.callTool");
    const [served] = named("tools/call get_weather");
    const lookups = named("look_up_forecast");
    expect(agent!.parentId).toBeNull();
    expect(call!.parentId).toBe(agent!.spanId);
    expect(served!.parentId).toBe(call!.spanId);
    expect(lookups).toHaveLength(3);
    for (const l of lookups) expect(l.parentId).toBe(served!.spanId);
    expect(spans).toHaveLength(6);
    expect(call!.spanType).toBe("TOOL");
    expect(served!.inputs).toMatchObject({
      name: "get_weather",
      arguments: { cities: ["Oslo", "Lisbon", "Atlantis"] },
    });
    expect(lookups.map((l) => l.outputs)).toEqual(["snow, -4 °C", "sunny, 19 °C", null]);
    // the tools/list check made a trace of its own on both sides, apart from the agent's
    const setup = tracesIn(clientDb).filter((t) => t.info.traceId !== out.traceId);
    expect(setup.map((t) => t.data.spans.map((s) => s.name))).toEqual([["Client.listTools"]]);
    expect(tracesIn(serverDb).find((t) => t.info.traceId === setup[0]!.info.traceId)!.data.spans[0]!.parentId).toBe(
      setup[0]!.data.spans[0]!.spanId,
    );
  });
});
