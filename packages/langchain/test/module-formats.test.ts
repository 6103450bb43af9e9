import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));

describe("loading @tracewright/langchain", () => {
  it("reaches the CommonJS copy of @langchain/core from an ESM app", () => {
    const out = execFileSync(process.execPath, [join(pkgDir, "test", "fixtures", "use-langchain-mixed.mjs")], {
      cwd: pkgDir,
      env: { ...process.env, TRACEWRIGHT_TRACKING_URI: "memory:" },
      encoding: "utf8",
    });
    expect(JSON.parse(out.trim())).toEqual({ out: 6, spans: ["cjs-copy:CHAIN"] });
  });

  it.each([["use-langchain.cjs"], ["use-langchain.mjs"]])("autologs from %s", (fixture) => {
    const out = execFileSync(process.execPath, [join(pkgDir, "test", "fixtures", fixture)], {
      cwd: pkgDir,
      env: { ...process.env, TRACEWRIGHT_TRACKING_URI: "memory:" },
      encoding: "utf8",
    });
    expect(JSON.parse(out.trim())).toEqual({
      out: 4,
      spans: ["RunnableSequence:CHAIN", "inc:CHAIN", "double:CHAIN"],
    });
  });
});
