/**
 * Many requests in flight on one connection: each trace holds exactly its own client and server
 * spans, the server span under the client span that sent the request.
 */
import { trace } from "@tracewright/core";
import { describe, expect, it } from "vitest";
import { setupMcpTest, spanNamed, traces } from "./helpers.js";

const { store, client } = setupMcpTest();

describe("requests in flight", () => {
  it("keeps 25 concurrent agent runs in 25 traces, each with only its own spans", async () => {
    const runs = Array.from({ length: 25 }, (_, i) =>
      trace(
        async () => {
          const listed = await client().listTools();
          const sum = await client().callTool({ name: "add", arguments: { a: i, b: 1000, tag: `run-${i}` } });
          return { listed: listed.tools.length, sum };
        },
        { name: `run-${i}`, spanType: "AGENT" },
      )(),
    );
    const results = await Promise.all(runs);
    results.forEach((r, i) => {
      expect(r.sum).toEqual({ content: [{ type: "text", text: String(i + 1000) }] });
    });

    const all = await traces(store());
    expect(all).toHaveLength(25);
    for (const t of all) {
      const root = t.data.spans.find((s) => s.parentId === null)!;
      const i = Number(root.name.slice("run-".length));
      expect(t.data.spans.map((s) => s.name).sort()).toEqual(
        ["Client.callTool", "Client.listTools", "tools/call add", "tools/list", root.name].sort(),
      );
      const call = spanNamed(t, "Client.callTool");
      const served = spanNamed(t, "tools/call add");
      expect(call.parentId).toBe(root.spanId);
      expect(served.parentId).toBe(call.spanId);
      expect(spanNamed(t, "tools/list").parentId).toBe(spanNamed(t, "Client.listTools").spanId);
      expect((served.inputs as { arguments: { tag: string } }).arguments.tag).toBe(`run-${i}`);
      expect(served.outputs).toEqual({ content: [{ type: "text", text: String(i + 1000) }] });
    }
  });
});
