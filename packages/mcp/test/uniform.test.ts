/**
 * The kit's uniform behaviour for the MCP integration: idempotent autolog, `disable` putting back
 * the very original methods (and requests going out untouched while off), handlers registered
 * before autolog traced too, `recordContent: false` keeping no tool arguments or results, and
 * `redact` applied to every span on both sides.
 */

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { setRedactor, trace } from "@tracewright/core";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { connectInMemory, onlyTrace, seenMeta, setupMcpTest, traces } from "./helpers.js";

const { store, client } = setupMcpTest();

const ORIGINAL = Symbol.for("tracewright.mcp.original");
const CLIENT_METHODS = ["callTool", "readResource", "getPrompt", "listTools", "listResources", "listPrompts"] as const;
type Wrapped = { [ORIGINAL]?: unknown };
const clientProto = Client.prototype as unknown as Record<string, Wrapped>;
const serverProto = Server.prototype as unknown as Record<string, Wrapped>;

const agent = <T>(fn: () => Promise<T>) => trace(fn, { name: "agent" })();

describe("mcp on the integration kit", () => {
  it("resolves autolog() to the kit's status, and a second autolog() still records one span per call", async () => {
    expect(await autolog()).toMatchObject({ integration: "mcp", enabled: true });
    expect(await autolog()).toMatchObject({ integration: "mcp", enabled: true });
    await agent(() => client().callTool({ name: "add", arguments: { a: 1, b: 2 } }));
    expect((await onlyTrace(store())).data.spans.map((s) => s.name)).toEqual([
      "agent",
      "Client.callTool",
      "tools/call add",
    ]);
  });

  it("puts back the very original methods on disable (===), sends requests untouched while off, and patches again after", async () => {
    const originals = CLIENT_METHODS.map((m) => clientProto[m]![ORIGINAL]);
    expect(originals.every((o) => typeof o === "function")).toBe(true);
    const serverOriginal = serverProto._onrequest![ORIGINAL];
    expect(Object.hasOwn(Server.prototype, "_onrequest")).toBe(true);
    await expect(autolog({ disable: true })).resolves.toMatchObject({ enabled: false });
    try {
      for (const [i, m] of CLIENT_METHODS.entries()) expect(clientProto[m]).toBe(originals[i]);
      // the server's handler lookup is inherited again from the SDK's Protocol
      expect(Object.hasOwn(Server.prototype, "_onrequest")).toBe(false);
      expect(serverProto._onrequest).toBe(serverOriginal);
      await agent(() => client().callTool({ name: "add", arguments: { a: 1, b: 2, tag: "off" } }));
      expect(seenMeta.get("off")).toBeUndefined();
      expect((await onlyTrace(store())).data.spans.map((s) => s.name)).toEqual(["agent"]);
    } finally {
      await autolog();
    }
    for (const [i, m] of CLIENT_METHODS.entries()) expect(clientProto[m]![ORIGINAL]).toBe(originals[i]);
  });

  it("traces a server whose handlers were registered before autolog", async () => {
    await autolog({ disable: true });
    let connected: Awaited<ReturnType<typeof connectInMemory>>;
    try {
      connected = await connectInMemory();
    } finally {
      await autolog();
    }
    await agent(() => connected.client.callTool({ name: "add", arguments: { a: 2, b: 2 } }));
    await connected.client.close();
    expect((await onlyTrace(store())).data.spans.map((s) => s.name)).toEqual([
      "agent",
      "Client.callTool",
      "tools/call add",
    ]);
  });

  it("records no tool arguments or results with recordContent: false, on either side", async () => {
    await autolog({ recordContent: false });
    try {
      await agent(async () => {
        await client().callTool({ name: "add", arguments: { a: 123456, b: 654321 } });
        await client().readResource({ uri: "doc://secret-document" });
        await client().getPrompt({ name: "greet", arguments: { name: "Zebulon" } });
      });
    } finally {
      await autolog();
    }
    const t = await onlyTrace(store());
    const json = t.toJson();
    for (const text of ["123456", "777777", "document secret-document", "Zebulon"]) expect(json).not.toContain(text);
    for (const span of t.data.spans.filter((s) => s.name !== "agent")) {
      expect(span.inputs ?? null).toBeNull();
      expect(span.outputs ?? null).toBeNull();
    }
    // the structure stays: which tool was called
    expect(t.data.spans.find((s) => s.name === "Client.callTool")!.getAttribute("gen_ai.tool.name")).toBe("add");
    expect(t.data.spans.map((s) => s.name)).toContain("tools/call add");
  });

  it("applies redact to every span on both sides, and the process-wide redactor too", async () => {
    const seen = new Set<string>();
    await autolog({
      redact: (value, { target, key }) => {
        seen.add(key ?? target);
        const json = JSON.stringify(value);
        return json === undefined ? value : JSON.parse(json.replace(/Zebulon/g, "[redacted]"));
      },
    });
    setRedactor((value, { target }) => (target === "outputs" ? "[hidden output]" : value));
    try {
      await agent(async () => {
        await client().callTool({ name: "add", arguments: { a: 1, b: 2, tag: "Zebulon" } });
        await client().getPrompt({ name: "greet", arguments: { name: "Zebulon" } });
      });
    } finally {
      setRedactor(null);
      await autolog();
    }
    const [t] = await traces(store());
    expect(t!.toJson()).not.toContain("Zebulon");
    const mcpSpans = t!.data.spans.filter((s) => s.name !== "agent");
    expect(mcpSpans).toHaveLength(4);
    for (const span of mcpSpans) {
      expect(JSON.stringify(span.inputs)).toContain("[redacted]");
      expect(span.outputs).toBe("[hidden output]");
    }
    expect(seen).toContain("inputs");
    expect(seen).toContain("outputs");
  });
});
