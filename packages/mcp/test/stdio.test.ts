/**
 * A real two-process setup: a client app spawns an MCP server as a child process through
 * StdioClientTransport (JSON-RPC over the child's stdin/stdout), both traced by @tracewright/mcp.
 * The trace context travels in `params._meta`, so each of the server's request spans carries the
 * client's trace id and names the client span that sent the request as its parent. Written to
 * one embedded SQLite file by both processes, the parts are one trace; written to a store of the
 * server's own, the server's parts are one trace there, linked to the client's.
 */
import type { Span, Trace } from "@tracewright/core";
import { describe, expect, it } from "vitest";
import { appScript, freshDb, runNode, scratchApp, tracesIn } from "./child-app.js";

const EXPECTED_TREE = [
  "agent (AGENT)",
  "  Client.listTools (TOOL)",
  "    tools/list (TOOL)",
  "  Client.callTool (TOOL)",
  "    tools/call forecast (TOOL)",
  "      lookup_forecast (RETRIEVER)",
  "  Client.callTool (TOOL)",
  "    tools/call forecast (TOOL)",
  "      lookup_forecast (RETRIEVER)",
];

/** The spans as an indented tree (children by start time); a span whose parent is missing is not reached. */
function tree(spans: Span[], parentId: string | null = null, depth = 0): string[] {
  return spans
    .filter((s) => s.parentId === parentId)
    .sort((a, b) => a.startTimeNs - b.startTimeNs)
    .flatMap((s) => [`${"  ".repeat(depth)}${s.name} (${s.spanType})`, ...tree(spans, s.spanId, depth + 1)]);
}

/** How far two processes' span clocks may disagree (see checkLinks). */
const CLOCK_SKEW_NS = 50e6;

function checkLinks(spans: Span[]): void {
  const ids = new Set(spans.map((s) => s.spanId));
  expect(spans.filter((s) => s.parentId === null)).toHaveLength(1);
  for (const s of spans) if (s.parentId !== null) expect(ids.has(s.parentId)).toBe(true);
  const calls = spans.filter((s) => s.name === "Client.callTool").sort((a, b) => a.startTimeNs - b.startTimeNs);
  const served = spans.filter((s) => s.name === "tools/call forecast").sort((a, b) => a.startTimeNs - b.startTimeNs);
  expect(served.map((s) => s.parentId)).toEqual(calls.map((c) => c.spanId));
  expect(served.map((s) => (s.inputs as { arguments: { city: string } }).arguments.city)).toEqual(["Oslo", "Rome"]);
  expect(served.map((s) => s.outputs)).toEqual(calls.map((c) => c.outputs));
  for (const [i, s] of served.entries()) {
    // each server span lies within the client call that caused it, up to the two processes'
    // clocks: each reads its own performance.timeOrigin, anchored to the wall clock when it
    // started, and a process preempted between the two readings (a loaded CI host) is off by
    // that long (seen: a server span ending 10 ms after the client call)
    expect(s.startTimeNs).toBeGreaterThanOrEqual(calls[i]!.startTimeNs - CLOCK_SKEW_NS);
    expect(s.endTimeNs!).toBeLessThanOrEqual(calls[i]!.endTimeNs! + CLOCK_SKEW_NS);
  }
}

async function runClient(serverStore?: string): Promise<{ db: string; answers: string[] }> {
  const dir = scratchApp();
  appScript(dir, "stdio-server.mjs");
  const { out, db } = await runNode<{ answers: string[] }>(
    dir,
    [appScript(dir, "stdio-client.mjs")],
    serverStore ? { SERVER_TRACKING_URI: serverStore } : {},
  );
  return { db, answers: out.answers };
}

describe("stdio: client and server in two processes", () => {
  it("writes one trace to the SQLite file both processes use, every span under its true parent", async () => {
    const { db, answers } = await runClient();
    expect(answers).toEqual(["Oslo: snow", "Rome: sun"]);
    const traces = tracesIn(db);
    expect(traces).toHaveLength(1);
    const [t] = traces as [Trace];
    expect(tree(t.data.spans)).toEqual(EXPECTED_TREE);
    checkLinks(t.data.spans);
    expect(t.info.state).toBe("OK");
  });

  it("with a store of the server's own: its parts are one trace there, with the client's trace id", async () => {
    const dir = scratchApp();
    const serverDb = freshDb(dir, "server");
    const { db } = await runClient(serverDb.uri);
    const [clientTrace, ...moreClient] = tracesIn(db);
    const [serverTrace, ...moreServer] = tracesIn(serverDb.path);
    expect(moreClient).toEqual([]);
    expect(moreServer).toEqual([]);
    expect(serverTrace!.info.traceId).toBe(clientTrace!.info.traceId);
    expect(serverTrace!.data.spans.map((s) => s.name).sort()).toEqual(
      ["lookup_forecast", "lookup_forecast", "tools/call forecast", "tools/call forecast", "tools/list"].sort(),
    );
    const spans = [...clientTrace!.data.spans, ...serverTrace!.data.spans];
    expect(tree(spans)).toEqual(EXPECTED_TREE);
    checkLinks(spans);
  });
});
