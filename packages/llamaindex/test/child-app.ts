/**
 * Apps in child processes: a script from test/fixtures run from this package (so it resolves
 * this package's node_modules), traces going to a fresh SQLite file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore } from "@tracewright/core";

const run = promisify(execFile);
export const pkgDir = fileURLToPath(new URL("..", import.meta.url));

/** Runs `node <nodeArgs> test/fixtures/<script>`; returns its last stdout line, parsed, and its trace's spans. */
export async function runApp<T extends { trace: string | null }>(
  script: string,
  plugin: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
) {
  const db = join(mkdtempSync(join(tmpdir(), "tw-llamaindex-app-")), "traces.db");
  const { stdout } = await run(process.execPath, [...nodeArgs, join(pkgDir, "test", "fixtures", script)], {
    cwd: pkgDir,
    env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`, PLUGIN_PATH: plugin, ...env },
  });
  const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
  const store = new SqliteTraceStore(db);
  const trace = out.trace ? store.getTrace(out.trace) : null;
  store.close();
  return { out, tree: trace?.data.spans.map((s) => `${s.name} ${s.spanType}`), trace };
}
