/**
 * Apps in child processes, as users install them: a scratch directory whose node_modules holds
 * the real @modelcontextprotocol/sdk (or a copy of it that says another version), zod, this
 * package's built dist and core. For tests that need a fresh process (module loading, stdio
 * servers, versions).
 */
import { execFile } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore, type Trace } from "@tracewright/core";

const run = promisify(execFile);
export const pkgDir = fileURLToPath(new URL("..", import.meta.url));
export const fixturesDir = join(pkgDir, "test", "fixtures");

/** The real directory of one of this package's dependencies. */
export const dependencyDir = (name: string): string => realpathSync(join(pkgDir, "node_modules", name));

/**
 * A copy of the SDK whose package.json says `version`, with the SDK's own dependencies linked
 * next to it (as a package manager would install them), for the version-range tests.
 */
export function sdkCopy(version: string): string {
  const real = dependencyDir("@modelcontextprotocol/sdk");
  const root = mkdtempSync(join(tmpdir(), "tw-mcp-sdk-"));
  const modules = join(root, "node_modules");
  const copy = join(modules, "@modelcontextprotocol", "sdk");
  mkdirSync(dirname(copy), { recursive: true });
  cpSync(real, copy, { recursive: true, dereference: true });
  const manifest = JSON.parse(readFileSync(join(copy, "package.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(copy, "package.json"), JSON.stringify({ ...manifest, version }));
  // the SDK's dependencies sit beside it in pnpm's store: link them beside the copy
  const siblings = dirname(dirname(real));
  for (const entry of readdirSync(siblings)) {
    const names = entry.startsWith("@") ? readdirSync(join(siblings, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      if (name === "@modelcontextprotocol/sdk") continue;
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      symlinkSync(realpathSync(join(siblings, name)), join(modules, name));
    }
  }
  return copy;
}

/** A scratch app directory: the SDK (`sdkDir`, default this package's), zod, @tracewright/mcp and @tracewright/core. */
export function scratchApp(sdkDir = dependencyDir("@modelcontextprotocol/sdk")): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-mcp-app-"));
  const modules = join(dir, "node_modules");
  const link = (target: string, name: string) => {
    mkdirSync(join(modules, name, ".."), { recursive: true });
    symlinkSync(target, join(modules, name));
  };
  link(sdkDir, "@modelcontextprotocol/sdk");
  link(dependencyDir("zod"), "zod");
  link(pkgDir, "@tracewright/mcp");
  link(dependencyDir("@tracewright/core"), "@tracewright/core");
  return dir;
}

/** Copies a script from test/fixtures into the app directory (so it resolves the app's node_modules); returns its path. */
export function appScript(dir: string, fixture: string): string {
  const target = join(dir, basename(fixture));
  copyFileSync(join(fixturesDir, fixture), target);
  return target;
}

/** A fresh SQLite store file in `dir`, as a tracking URI and a path. */
export function freshDb(dir: string, name = "traces"): { uri: string; path: string } {
  const path = join(dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  return { uri: `sqlite://${path}`, path };
}

/** Runs `node <args>` in `dir` with traces going to a fresh SQLite file; returns its last stdout line, parsed. */
export async function runNode<T = unknown>(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ out: T; db: string }> {
  const db = freshDb(dir);
  const { stdout } = await run(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, TRACEWRIGHT_TRACKING_URI: db.uri, ...env },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30_000,
  });
  return { out: JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as T, db: db.path };
}

/** Every trace stored in a SQLite file, with spans. */
export function tracesIn(db: string): Trace[] {
  const store = new SqliteTraceStore(db);
  try {
    return store.searchTraces({ maxResults: 500 }).traces;
  } finally {
    store.close();
  }
}

/** A trace's spans as `name TYPE <parent name>` lines, in start order. */
export function shape(trace: Trace): string[] {
  const byId = new Map(trace.data.spans.map((s) => [s.spanId, s.name]));
  return trace.data.spans.map(
    (s) => `${s.name} ${s.spanType} <${s.parentId === null ? "root" : (byId.get(s.parentId) ?? "?")}>`,
  );
}
