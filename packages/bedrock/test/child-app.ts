/**
 * Apps in child processes, as users install them: a scratch directory whose node_modules holds
 * the real `@aws-sdk/client-bedrock-runtime`, this package's built dist and core, run with the
 * given Node flags and talking to a fake Bedrock endpoint in the test process. For tests that
 * need a fresh process (module loading, GC).
 */
import { execFile } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
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

const SDK = "@aws-sdk/client-bedrock-runtime";

/** Fake credentials and the region, from the environment, as an app on AWS would get them. */
export const CHILD_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLEFAKE000000",
  AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests-only",
  AWS_REGION: "us-east-1",
};

/**
 * The SDK as installed, under another version number: a directory with the real package's files
 * linked in and its package.json saying `version`. For the version-range warning, which reads
 * the version from the package.json of the copy it finds.
 */
export function relabelledSdk(version: string): string {
  const real = dependencyDir(SDK);
  const dir = mkdtempSync(join(tmpdir(), "tw-bedrock-sdk-"));
  for (const entry of readdirSync(real)) {
    if (entry !== "package.json") symlinkSync(join(real, entry), join(dir, entry));
  }
  const manifest = JSON.parse(readFileSync(join(real, "package.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(dir, "package.json"), JSON.stringify({ ...manifest, version }));
  return dir;
}

/** A scratch app directory: the SDK (`sdkDir`, default the real one), @tracewright/bedrock and core. */
export function scratchApp(sdkDir = dependencyDir(SDK)): string {
  const dir = mkdtempSync(join(tmpdir(), "tw-bedrock-app-"));
  const modules = join(dir, "node_modules");
  const link = (target: string, name: string) => {
    mkdirSync(join(modules, name, ".."), { recursive: true });
    symlinkSync(target, join(modules, name));
  };
  link(sdkDir, SDK);
  link(pkgDir, "@tracewright/bedrock");
  link(dependencyDir("@tracewright/core"), "@tracewright/core");
  return dir;
}

/** Copies a script from test/fixtures into the app directory (so it resolves the app's node_modules). */
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
): Promise<{ out: T; db: string; stderr: string }> {
  const db = join(dir, `traces-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  const { stdout, stderr } = await run(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { out: JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as T, db, stderr };
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
