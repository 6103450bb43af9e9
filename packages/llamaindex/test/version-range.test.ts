/**
 * A module outside the tested versions is warned about once and traced anyway: a CommonJS app
 * using `@llamaindex/ollama` (a real provider this suite has no recording for, declared
 * untested) calls autolog twice and gets one warning naming it, no warning for the tested
 * llamaindex, @llamaindex/core, workflow and openai copies it also loads, and its chat traced.
 * The Ollama server is a loopback server answering in Ollama's documented /api/chat format.
 */
import { join } from "node:path";
import { type LoopbackServer, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkgDir, runApp } from "./child-app.js";

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        model: "llama3.2",
        created_at: "2026-01-01T00:00:00Z",
        message: { role: "assistant", content: "Atlantic Ocean." },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 12,
        eval_count: 4,
      }),
    );
  });
});
afterAll(() => server.close());

describe("versions outside the tested ranges", () => {
  it("warn once, and the module is traced anyway", async () => {
    const { out, trace } = await runApp<{ answer: string; warnings: string[]; trace: string | null }>(
      "version-warning.cjs",
      join(pkgDir, "dist", "index.cjs"),
      { OLLAMA_HOST: server.url },
    );
    expect(out.answer).toBe("Atlantic Ocean.");
    const versionWarnings = out.warnings.filter((w) => w.includes("is outside the versions"));
    expect(versionWarnings).toHaveLength(1);
    expect(versionWarnings[0]).toMatch(
      /^\[tracewright\/llamaindex\] @llamaindex\/ollama 0\.1\.23 is outside the versions @tracewright\/llamaindex is tested with/,
    );
    expect(trace?.data.spans.map((s) => `${s.name} ${s.spanType}`)).toEqual(["Ollama.chat CHAT_MODEL"]);
  });
});
