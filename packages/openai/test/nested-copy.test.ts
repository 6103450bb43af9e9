/**
 * A package that brings its own nested openai copy: `@llamaindex/openai` 0.4 (as installed for
 * the llamaindex integration) depends on openai 5, while the app uses openai 7.
 * `instrumentOpenAIFrom("@llamaindex/openai")` patches the copy that package really loads, in
 * ESM and CommonJS apps; `instrumentOpenAIModule(await import("openai"))` from the app reaches
 * the app's copy only. Child processes against a loopback server serving a recorded reply.
 */
import { decodeNockResponse, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, llamaindexOpenAIDir, runNode, scratchApp, tracesIn } from "./child-app.js";

const reply = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(reply);
  });
});
afterAll(() => server.close());

async function runApp(fixture: string, env: Record<string, string> = {}) {
  const dir = scratchApp(undefined, { "@llamaindex/openai": llamaindexOpenAIDir() });
  const { out, db } = await runNode<{ answer: string; patched: number }>(dir, [appScript(dir, fixture)], {
    OPENAI_BASE_URL: `${server.url}/v1`,
    ...env,
  });
  expect(out.answer).toBe("Atlantic Ocean.");
  return { patched: out.patched, spans: tracesIn(db).map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`)) };
}

describe("the openai copy nested under @llamaindex/openai", () => {
  it("stays unpatched by instrumentOpenAIModule(await import('openai')) from the app", async () => {
    const { patched, spans } = await runApp("llamaindex-nested-openai.mjs", { FIX: "app-import" });
    expect(patched).toBe(0); // the app's own openai, already patched by autolog
    expect(spans).toEqual([]);
  });

  it("is patched by instrumentOpenAIFrom('@llamaindex/openai') in an ESM app", async () => {
    const { patched, spans } = await runApp("llamaindex-nested-openai.mjs", { FIX: "helper" });
    expect(patched).toBeGreaterThan(0);
    expect(spans).toEqual([["Completions CHAT_MODEL"]]);
  });

  it("is patched by instrumentOpenAIFrom(import.meta.resolve('@llamaindex/openai'))", async () => {
    const { spans } = await runApp("llamaindex-nested-openai.mjs", { FIX: "helper", FROM: "url" });
    expect(spans).toEqual([["Completions CHAT_MODEL"]]);
  });

  it("is patched in a CommonJS app that required @llamaindex/openai before autolog", async () => {
    const { patched, spans } = await runApp("llamaindex-nested-openai.cjs");
    expect(patched).toBeGreaterThan(0);
    expect(spans).toEqual([["Completions CHAT_MODEL"]]);
  });
});
