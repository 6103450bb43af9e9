/**
 * The plugin as apps load it, in child processes against a loopback server serving a recorded
 * chat completion: a CommonJS app (autolog before require, through require-in-the-middle, and
 * after, through require's cache) and an ESM app that calls autolog after its imports.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { decodeNockResponse, type LoopbackServer, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkgDir, runApp as runChildApp } from "./child-app.js";

const chatResponse = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(chatResponse);
  });
});
afterAll(() => server.close());

const runApp = (script: string, plugin: string, env: Record<string, string> = {}, nodeArgs: string[] = []) =>
  runChildApp<{ answer: string; trace: string | null }>(
    script,
    plugin,
    { OPENAI_BASE_URL: `${server.url}/v1`, ...env },
    nodeArgs,
  );

const EXPECTED = ["SimpleChatEngine.chat CHAIN", "OpenAI.chat CHAT_MODEL"];

describe("module formats", () => {
  it.each([["1"], ["0"]])("traces a CommonJS app (autolog first: %s)", async (first) => {
    const { out, tree } = await runApp("use-llamaindex.cjs", join(pkgDir, "dist", "index.cjs"), {
      AUTOLOG_FIRST: first,
    });
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(tree).toEqual(EXPECTED);
  });

  it("traces an ESM app that calls autolog after importing LlamaIndex", async () => {
    const plugin = pathToFileURL(join(pkgDir, "dist", "index.js")).href;
    const { out, tree } = await runApp("use-llamaindex.mjs", plugin);
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(tree).toEqual(EXPECTED);
  });

  it("traces an ESM app with no tracing code, started with --import @tracewright/llamaindex/register", async () => {
    const register = pathToFileURL(join(pkgDir, "dist", "register.js")).href;
    const { out, tree } = await runApp("use-llamaindex-plain.mjs", "", {}, ["--import", register]);
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(tree).toEqual(EXPECTED);
  });

  it("leaves the same app untraced without the flag (the test above is not vacuous)", async () => {
    const { out, tree } = await runApp("use-llamaindex-plain.mjs", "");
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(tree).toBeUndefined();
  });
});
