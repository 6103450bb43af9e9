/**
 * Where a given package (or file) finds `openai`: its own nested copy when it has one (an
 * `@llamaindex/openai` that brings openai 5 into an app using openai 7), as Node would resolve
 * it from there. Pure file-system look-ups; nothing is loaded here.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The directory Node would load package `name` from, walking up `node_modules` from `fromDir`. */
function packageDir(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(dir) === dir) return null;
  }
}

/**
 * The real directory to resolve from: a file URL or absolute path (a file or a directory), or a
 * package name looked up from `cwd` (pnpm's symlinks followed, as Node follows them).
 */
export function resolutionDir(from: string, cwd: string): string | null {
  const path = from.startsWith("file:") ? fileURLToPath(from) : from;
  if (isAbsolute(path)) {
    if (!existsSync(path)) return null;
    const real = realpathSync(path);
    return statSync(real).isDirectory() ? real : dirname(real);
  }
  return packageDir(from, cwd);
}

const ESM_CONDITIONS = ["node", "import", "default"];

/** The target an `exports` entry gives under the ESM conditions. */
function esmTarget(target: unknown): string | null {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const picked = esmTarget(t);
      if (picked) return picked;
    }
    return null;
  }
  if (target !== null && typeof target === "object") {
    for (const [condition, value] of Object.entries(target)) {
      if (!ESM_CONDITIONS.includes(condition)) continue;
      const picked = esmTarget(value);
      if (picked) return picked;
    }
  }
  return null;
}

/** Both builds of the openai copy seen from `dir`: the ESM entry's URL and the CommonJS entry's path. */
export function openaiCopyFrom(dir: string): { esmUrl: string | null; cjsPath: string | null } | null {
  const openaiDir = packageDir("openai", dir);
  if (openaiDir === null) return null;
  let esmUrl: string | null = null;
  try {
    const pkg = JSON.parse(readFileSync(join(openaiDir, "package.json"), "utf8")) as {
      exports?: Record<string, unknown>;
      module?: string;
    };
    const file = pkg.exports ? esmTarget(pkg.exports["."] ?? pkg.exports) : (pkg.module ?? null);
    if (file) esmUrl = pathToFileURL(realpathSync(join(openaiDir, file))).href;
  } catch {
    // an unreadable package.json: only the CommonJS build can be found
  }
  let cjsPath: string | null = null;
  try {
    cjsPath = createRequire(join(dir, "noop.js")).resolve("openai");
  } catch {
    // no CommonJS build resolvable from there
  }
  return { esmUrl, cjsPath };
}
