/**
 * The tested versions (`>=1.32.2 <2.0.0`) and what happens outside them: a copy of the SDK that
 * says it is 1.31.0 (the real 1.32.2 files, its package.json changed), required by a CommonJS app
 * after autolog, is warned about once for both hooked modules and traced anyway.
 */
import { describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, sdkCopy, shape, tracesIn } from "./child-app.js";

describe("SDK versions", () => {
  it("warns once about a version outside the tested range, and traces it anyway", async () => {
    const dir = scratchApp(sdkCopy("1.31.0"));
    const { out, db } = await runNode<{ text: string; warnings: string[] }>(dir, [appScript(dir, "cjs-after.cjs")]);
    expect(out.text).toBe("hi");
    const versionWarnings = out.warnings.filter((w) => w.includes("is outside the versions"));
    expect(versionWarnings).toEqual([
      expect.stringMatching(
        /^\[tracewright\/mcp\] @modelcontextprotocol\/sdk 1\.31\.0 is outside the versions @tracewright\/mcp is tested with \(>=1\.32\.2 <2\.0\.0\)/,
      ),
    ]);
    expect(tracesIn(db).map(shape)).toEqual([
      ["agent AGENT <root>", "Client.callTool TOOL <agent>", "tools/call echo TOOL <Client.callTool>"],
    ]);
  });
});
