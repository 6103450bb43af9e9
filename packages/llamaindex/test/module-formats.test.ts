/**
 * The plugin as apps load it, in child processes against a loopback server serving a recorded
 * chat completion: a CommonJS app (autolog before require, through require-in-the-middle, and
 * after, through require's cache) and an ESM app that calls autolog after its imports.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore } from "@tracewright/core";
import { decodeNockResponse, type LoopbackServer, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const chatResponse = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(chatResponse);
  });
});
afterAll(() => server.close());

async function runApp(script: string, plugin: string, env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const db = join(mkdtempSync(join(tmpdir(), "tw-llamaindex-app-")), "traces.db");
  const { stdout } = await run(process.execPath, [...nodeArgs, join(pkgDir, "test", "fixtures", script)], {
    cwd: pkgDir,
    env: {
      ...process.env,
      OPENAI_BASE_URL: `${server.url}/v1`,
      TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`,
      PLUGIN_PATH: plugin,
      ...env,
    },
  });
  const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { answer: string; trace: string | null };
  const store = new SqliteTraceStore(db);
  const trace = out.trace ? store.getTrace(out.trace) : null;
  store.close();
  return { out, tree: trace?.data.spans.map((s) => `${s.name} ${s.spanType}`) };
}

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
