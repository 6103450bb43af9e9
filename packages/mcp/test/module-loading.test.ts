/**
 * The integration as users load it, each in a child process with the real SDK and traces in a
 * SQLite file: CommonJS apps (autolog before and after require, the server module reaching
 * server/index.js by a relative require), an ESM app started with
 * `--import @tracewright/mcp/register`, and an ESM app calling autolog after its imports.
 */
import { describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, shape, tracesIn } from "./child-app.js";

const EXPECTED = ["agent AGENT <root>", "Client.callTool TOOL <agent>", "tools/call echo TOOL <Client.callTool>"];

async function traced(args: (dir: string) => string[], env: Record<string, string> = {}) {
  const dir = scratchApp();
  const { out, db } = await runNode<{ text: string; warnings: string[]; patched?: string[] }>(dir, args(dir), env);
  expect(out.text).toBe("hi");
  expect(out.warnings).toEqual([]);
  return { out, traces: tracesIn(db).map(shape) };
}

describe("module loading", () => {
  it("CommonJS, SDK required before autolog: both modules patched from require's cache", async () => {
    const { out, traces } = await traced((dir) => [appScript(dir, "cjs-before.cjs")]);
    expect(traces).toEqual([EXPECTED]);
    expect(out.patched).toEqual(
      expect.arrayContaining([
        "@modelcontextprotocol/sdk/client/index.js@1.32.2 (CommonJS)",
        "@modelcontextprotocol/sdk/server/index.js@1.32.2 (CommonJS)",
      ]),
    );
  });

  it("CommonJS, SDK required after autolog", async () => {
    const { traces } = await traced((dir) => [appScript(dir, "cjs-after.cjs")]);
    expect(traces).toEqual([EXPECTED]);
  });

  it("ESM with --import @tracewright/mcp/register and no code change", async () => {
    const { traces } = await traced((dir) => ["--import", "@tracewright/mcp/register", appScript(dir, "esm-app.mjs")]);
    expect(traces).toEqual([EXPECTED]);
  });

  it("ESM with autolog after the app's imports", async () => {
    const { traces } = await traced((dir) => [appScript(dir, "esm-app.mjs")], { AUTOLOG: "1" });
    expect(traces).toEqual([EXPECTED]);
  });

  it("ESM without autolog records nothing (the control)", async () => {
    const dir = scratchApp();
    const { out, db } = await runNode<{ text: string }>(dir, [appScript(dir, "esm-app.mjs")]);
    expect(out.text).toBe("hi");
    expect(tracesIn(db).map(shape)).toEqual([["agent AGENT <root>"]]);
  });
});
