/**
 * Finding the copies of a package an app has loaded or can load, so that an integration can patch
 * copies that were loaded before `autolog()` ran: CommonJS copies through require's cache (every
 * copy, nested ones included), the ESM copy by the file Node's ESM resolver would pick from the
 * app's directories (`exports` with the "node", "import" and "default" conditions).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

/** The package name and the subpath (`.` or `./tools`) of a specifier such as `llamaindex/tools`. */
export function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split("/");
  const size = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, size).join("/");
  const rest = parts.slice(size).join("/");
  return { name, subpath: rest ? `./${rest}` : "." };
}

/** Where the app's modules resolve from: the working directory and the entry script's directory. */
export function appDirs(): string[] {
  const dirs = [process.cwd()];
  if (process.argv[1]) dirs.push(dirname(resolve(process.argv[1])));
  return [...new Set(dirs)];
}

/** The version in a package directory's package.json, or null. */
export function packageVersion(packageDir: string): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : null;
  } catch {
    return null;
  }
}

/** One loaded copy of a module: its exports and the directory of the package it belongs to. */
export interface LoadedCopy {
  exports: unknown;
  packageDir: string;
}

/** The package directories of `name` that have files in require's cache (every copy, nested or not). */
function cachedPackageDirs(name: string): string[] {
  const marker = `${sep}node_modules${sep}${name.split("/").join(sep)}${sep}`;
  const dirs = new Set<string>();
  const cache = createRequire(join(process.cwd(), "noop.js")).cache;
  for (const file of Object.keys(cache)) {
    const at = file.lastIndexOf(marker);
    if (at >= 0) dirs.add(file.slice(0, at + marker.length - 1));
  }
  return [...dirs];
}

/** The CommonJS copies of `specifier` already in require's cache, from every package directory that holds it. */
export function loadedCommonJsCopies(specifier: string): LoadedCopy[] {
  const { name, subpath } = splitSpecifier(specifier);
  const copies: LoadedCopy[] = [];
  for (const packageDir of cachedPackageDirs(name)) {
    try {
      // resolving from inside the package finds the package itself, through its parent node_modules
      const req = createRequire(join(packageDir, "package.json"));
      const entry = req.resolve(subpath === "." ? name : `${name}/${subpath.slice(2)}`);
      const cached = req.cache[entry];
      if (cached) copies.push({ exports: cached.exports, packageDir });
    } catch {
      // that subpath is not exported there
    }
  }
  return copies;
}

const CONDITIONS = ["node", "import", "default"];

function pickTarget(target: unknown): string | null {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const picked = pickTarget(t);
      if (picked) return picked;
    }
    return null;
  }
  if (target !== null && typeof target === "object") {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.includes(condition)) continue;
      const picked = pickTarget(value);
      if (picked) return picked;
    }
  }
  return null;
}

/** The package directory Node would load `name` from, walking up `node_modules` from `fromDir`. */
export function packageDirFrom(name: string, fromDir: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The file URL (and package directory) Node's ESM loader resolves `specifier` to from `fromDir`, or null. */
export function resolveEsm(specifier: string, fromDir: string): { url: string; packageDir: string } | null {
  const { name, subpath } = splitSpecifier(specifier);
  const dir = packageDirFrom(name, fromDir);
  if (dir === null) return null;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports?: unknown; main?: string };
    let file: string | null;
    if (pkg.exports !== undefined) {
      const exportsMap = pkg.exports as Record<string, unknown>;
      const isSubpathMap = typeof exportsMap === "object" && Object.keys(exportsMap).some((k) => k.startsWith("."));
      file = pickTarget(isSubpathMap ? exportsMap[subpath] : subpath === "." ? exportsMap : undefined);
    } else {
      file = subpath === "." ? (pkg.main ?? "index.js") : subpath;
    }
    return file ? { url: pathToFileURL(join(dir, file)).href, packageDir: dir } : null;
  } catch {
    return null;
  }
}
