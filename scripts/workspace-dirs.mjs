// The workspace package directories, from pnpm-workspace.yaml's `packages:` globs (only the
// "dir/*" form this repository uses), so that every workspace package's test report is counted.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;

/** Absolute paths of the directories holding a package.json, one per workspace package. */
export function workspacePackageDirs() {
  const yaml = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const section = /^packages:\s*\n((?:[ \t]+-.*\n?|[ \t]*#.*\n?|[ \t]*\n)*)/m.exec(yaml)?.[1] ?? "";
  const globs = [...section.matchAll(/^[ \t]+-[ \t]*["']?([^"'\s#]+)["']?/gm)].map((m) => m[1]);
  const dirs = [];
  for (const glob of globs) {
    if (glob.startsWith("!")) continue;
    if (!glob.endsWith("/*")) {
      if (existsSync(join(root, glob, "package.json"))) dirs.push(join(root, glob));
      continue;
    }
    const parent = join(root, glob.slice(0, -2));
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent).sort()) {
      if (existsSync(join(parent, name, "package.json"))) dirs.push(join(parent, name));
    }
  }
  return dirs;
}
