/**
 * The plugin as users load it: CommonJS apps (autolog before and after require), an ESM app
 * started with `--import @tracewright/google-genai/register`, and an ESM app calling autolog
 * after its imports; each in a child process whose node_modules holds the real @google/genai,
 * talking to a loopback server that serves the recorded Gemini reply.
 */
import { harResponseText, readHar, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, tracesIn } from "./child-app.js";

const reply = harResponseText(readHar("gemini-generate-content.har")[0]!);

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
let dir: string;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(reply);
  });
  dir = scratchApp();
});
afterAll(() => server.close());

async function runApp(args: (dir: string) => string[], env: Record<string, string> = {}) {
  const { out, db } = await runNode<{ answer: string; trace: string | null }>(dir, args(dir), {
    GEMINI_BASE_URL: server.url,
    ...env,
  });
  const traces = tracesIn(db);
  return { out, spans: traces.map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`)) };
}

describe("loading @tracewright/google-genai", () => {
  it.each([["1"], ["0"]])("traces a CommonJS app (autolog first: %s)", async (first) => {
    const { out, spans } = await runApp((d) => [appScript(d, "use-genai.cjs")], { AUTOLOG_FIRST: first });
    expect(out.answer).toBe("4\n");
    expect(out.trace).toMatch(/^tr-/);
    expect(spans).toEqual([["Models.generateContent CHAT_MODEL"]]);
  });

  it("traces an ESM app started with --import @tracewright/google-genai/register", async () => {
    const { out, spans } = await runApp((d) => [
      "--import",
      "@tracewright/google-genai/register",
      appScript(d, "use-genai.mjs"),
    ]);
    expect(out.answer).toBe("4\n");
    expect(spans).toEqual([["Models.generateContent CHAT_MODEL"]]);
  });

  it("traces an ESM app that imports @google/genai first and awaits autolog before creating its client", async () => {
    const { out, spans } = await runApp((d) => [appScript(d, "use-genai-autolog.mjs")]);
    expect(out.answer).toBe("4\n");
    expect(spans).toEqual([["Models.generateContent CHAT_MODEL"]]);
  });
});
