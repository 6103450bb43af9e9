/**
 * The plugin as users load it: CommonJS apps (autolog before and after require), an ESM app
 * started with `--import @tracewright/openai/register`, and an ESM app calling autolog after its
 * imports; each against openai 7 and openai 6, in a child process talking to a loopback server
 * that serves a recorded response.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore } from "@tracewright/core";
import { decodeNockResponse, readNockRecording } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const fixtures = join(pkgDir, "test", "fixtures");
const chatResponse = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));

let server: Server;
let baseURL = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(chatResponse);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** An app directory whose node_modules/openai is the given version, as a user's install would be. */
function appDir(openaiPackage: "openai" | "openai-v6"): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-openai-app-"));
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@tracewright"), { recursive: true });
  const own = (name: string) => realpathSync(join(pkgDir, "node_modules", name));
  symlinkSync(own(openaiPackage), join(modules, "openai"));
  symlinkSync(pkgDir, join(modules, "@tracewright", "openai"));
  symlinkSync(
    realpathSync(join(pkgDir, "node_modules", "@tracewright", "core")),
    join(modules, "@tracewright", "core"),
  );
  return dir;
}

async function runApp(dir: string, args: string[], env: Record<string, string> = {}) {
  const db = join(dir, "traces.db");
  const { stdout } = await run(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, OPENAI_BASE_URL: baseURL, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`, ...env },
  });
  const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as { answer: string; trace: string | null };
  const store = new SqliteTraceStore(db);
  const trace = out.trace ? store.getTrace(out.trace) : null;
  store.close();
  return { out, trace };
}

describe.each([["openai" as const], ["openai-v6" as const]])("with %s installed", (version) => {
  let dir: string;
  beforeAll(() => {
    dir = appDir(version);
  });

  it.each([["1"], ["0"]])("traces a CommonJS app (autolog first: %s)", async (first) => {
    const { out, trace } = await runApp(dir, [join(fixtures, "use-openai.cjs")], { AUTOLOG_FIRST: first });
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(trace?.data.spans.map((s) => `${s.name} ${s.spanType}`)).toEqual(["Completions CHAT_MODEL"]);
  });

  it("traces an ESM app started with --import @tracewright/openai/register", async () => {
    const { out, trace } = await runApp(dir, [
      "--import",
      "@tracewright/openai/register",
      join(fixtures, "use-openai.mjs"),
    ]);
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(trace?.data.spans[0]?.spanType).toBe("CHAT_MODEL");
  });
});

describe("an ESM app that calls autolog after importing openai", () => {
  it("is traced once autolog resolves", async () => {
    const { out, trace } = await runApp(appDir("openai"), [join(fixtures, "use-openai-autolog.mjs")]);
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(trace?.data.spans[0]?.name).toBe("Completions");
  });
});
