/**
 * Apps in child processes, as users install them: a scratch directory whose node_modules holds
 * the real @google/genai package, this plugin's built dist and core, run with the given Node flags and
 * talking to a loopback server. For tests that need a fresh process (GC, module loading).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore, type Trace } from "@tracewright/core";

const run = promisify(execFile);
export const pkgDir = fileURLToPath(new URL("..", import.meta.url));
export const fixturesDir = join(pkgDir, "test", "fixtures");

/** The real directory of one of this package's dependencies. */
export const dependencyDir = (name: string): string => realpathSync(join(pkgDir, "node_modules", name));

/**
 * A scratch app directory: node_modules/@google/genai is `genaiDir` (default: this package's
 * @google/genai devDependency), plus @tracewright/google-genai and @tracewright/core.
 */
export function scratchApp(genaiDir = dependencyDir("@google/genai")): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-genai-app-"));
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@tracewright"), { recursive: true });
  const link = (target: string, name: string) => {
    mkdirSync(join(modules, name, ".."), { recursive: true });
    symlinkSync(target, join(modules, name));
  };
  link(genaiDir, "@google/genai");
  link(pkgDir, "@tracewright/google-genai");
  link(dependencyDir("@tracewright/core"), "@tracewright/core");
  return dir;
}

/**
 * Copies a script from test/fixtures into the app directory and returns its path: Node resolves
 * a script's imports from where the script is, so it must live in the app to see the app's
 * node_modules (and not this package's).
 */
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
    const traces: Trace[] = [];
    let pageToken: string | undefined;
    do {
      const page = store.searchTraces(pageToken ? { maxResults: 500, pageToken } : { maxResults: 500 });
      traces.push(...page.traces);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    return traces;
  } finally {
    store.close();
  }
}
