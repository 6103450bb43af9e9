/**
 * Apps in child processes, as users install them: a scratch directory whose node_modules holds
 * a real copy of `@anthropic-ai/sdk`, this package's built dist and core, run with the given Node
 * flags against a loopback server serving recorded replies. For tests that need a fresh process
 * (module loading, version warnings, garbage collection).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore, type Trace } from "@tracewright/core";
import { startLoopbackServer } from "@tracewright/testing";
import { recordedResponse } from "./helpers.js";

const run = promisify(execFile);
export const pkgDir = fileURLToPath(new URL("..", import.meta.url));
export const fixturesDir = join(pkgDir, "test", "fixtures");

/** The real directory of one of this package's dependencies (`@anthropic-ai/sdk-v0` is 0.137.0). */
export const dependencyDir = (name: string): string => realpathSync(join(pkgDir, "node_modules", name));

/** A scratch app whose node_modules/@anthropic-ai/sdk is `sdkDir`, with this package and core. */
export function scratchApp(sdkDir = dependencyDir("@anthropic-ai/sdk"), extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-anthropic-app-"));
  const modules = join(dir, "node_modules");
  const link = (target: string, name: string) => {
    mkdirSync(join(modules, name, ".."), { recursive: true });
    symlinkSync(target, join(modules, name));
  };
  link(sdkDir, "@anthropic-ai/sdk");
  link(pkgDir, "@tracewright/anthropic");
  link(dependencyDir("@tracewright/core"), "@tracewright/core");
  for (const [name, target] of Object.entries(extra)) link(target, name);
  return dir;
}

/** Copies a script from test/fixtures into the app, so it resolves the app's node_modules. */
export function appScript(dir: string, fixture: string): string {
  const target = join(dir, basename(fixture));
  copyFileSync(join(fixturesDir, fixture), target);
  return target;
}

/** Runs `node <args>` in `dir` with traces going to a fresh SQLite file; returns its last stdout line, parsed. */
export async function runNode<T = unknown>(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ out: T; db: string }> {
  const db = join(dir, `traces-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  const { stdout } = await run(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { out: JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as T, db };
}

/** Every trace the child stored, with spans. */
export function tracesIn(db: string): Trace[] {
  const store = new SqliteTraceStore(db);
  try {
    return store.searchTraces({ maxResults: 1000 }).traces;
  } finally {
    store.close();
  }
}

/** The Message and the streamed Message the loopback server answers with. */
export const JOKE_REPLY = recordedResponse("anthropic-messages-joke.har").body;
export const STREAMED_REPLY = recordedResponse("anthropic-messages-text.chunks.txt").body;

/** A loopback Anthropic API: a streamed reply for `stream: true` requests, the recorded Message otherwise. */
export function startRecordedAnthropicServer() {
  return startLoopbackServer((_req, res, body) => {
    const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    res.end(stream ? STREAMED_REPLY : JOKE_REPLY);
  });
}
