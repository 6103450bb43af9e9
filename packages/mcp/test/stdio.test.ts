/**
 * A real two-process setup: a client app spawns an MCP server as a child process through
 * StdioClientTransport (JSON-RPC over the child's stdin/stdout), both traced by @tracewright/mcp,
 * each writing to its own embedded SQLite store. The trace context travels in `params._meta`, so
 * the server's spans carry the client's trace id and its request span names the client's callTool
 * span as its parent: read together, the two stores hold one trace, correctly linked.
 */
import type { Span } from "@tracewright/core";
import { describe, expect, it } from "vitest";
import { appScript, freshDb, runNode, scratchApp, tracesIn } from "./child-app.js";

describe("stdio: client and server in two processes", () => {
  it("continues the client's trace in the server process, the server span under the client's callTool span", async () => {
    const dir = scratchApp();
    appScript(dir, "stdio-server.mjs");
    const serverDb = freshDb(dir, "server");
    const { out, db } = await runNode<{ answer: string }>(dir, [appScript(dir, "stdio-client.mjs")], {
      SERVER_TRACKING_URI: serverDb.uri,
    });
    expect(out.answer).toBe("Oslo: snow");

    const [clientTrace, ...moreClient] = tracesIn(db);
    expect(moreClient).toEqual([]);
    // the server stores its part when its request span ends, before it answers
    const [serverTrace, ...moreServer] = tracesIn(serverDb.path);
    expect(moreServer).toEqual([]);
    expect(serverTrace!.info.traceId).toBe(clientTrace!.info.traceId);

    const spans: Span[] = [...clientTrace!.data.spans, ...serverTrace!.data.spans];
    const byName = new Map(spans.map((s) => [s.name, s]));
    const agent = byName.get("agent")!;
    const call = byName.get("Client.callTool")!;
    const served = byName.get("tools/call forecast")!;
    const work = byName.get("lookup_forecast")!;
    expect(spans.map((s) => s.name).sort()).toEqual([
      "Client.callTool",
      "agent",
      "lookup_forecast",
      "tools/call forecast",
    ]);
    expect(agent.parentId).toBeNull();
    expect(call.parentId).toBe(agent.spanId);
    expect(served.parentId).toBe(call.spanId);
    expect(work.parentId).toBe(served.spanId);
    // one tree: a single root, and every other span's parent is a span of the trace
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s.parentId === null)).toHaveLength(1);
    for (const s of spans) if (s.parentId !== null) expect(ids.has(s.parentId)).toBe(true);
    expect(served.spanType).toBe("TOOL");
    expect(served.inputs).toMatchObject({ name: "forecast", arguments: { city: "Oslo" } });
    expect(served.outputs).toEqual({ content: [{ type: "text", text: "Oslo: snow" }] });
    expect(call.outputs).toEqual(served.outputs);
    // the server's part starts no later than its parent and ends within the client's call
    expect(served.startTimeNs).toBeGreaterThanOrEqual(call.startTimeNs);
    expect(served.endTimeNs!).toBeLessThanOrEqual(call.endTimeNs!);
  });
});
