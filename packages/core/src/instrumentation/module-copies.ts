/**
 * Finding the copies of a package an app has loaded or can load, so that an integration can patch
 * copies that were loaded before `autolog()` ran: CommonJS copies through require's cache (every
 * copy, nested ones included), the ESM copy by the file Node's ESM resolver would pick from the
 * app's directories (`exports` with the "node", "import" and "default" conditions).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
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

/**
 * The target `exports` maps `subpath` to: an exact key, or the longest matching `*` pattern
 * (`"./*": "./dist/esm/*"` maps `./client/index.js` to `./dist/esm/client/index.js`), as Node's
 * resolver does; null when the package does not export it.
 */
export function exportsTarget(exportsField: unknown, subpath: string): unknown {
  if (exportsField === null || typeof exportsField !== "object" || Array.isArray(exportsField)) {
    return subpath === "." ? exportsField : null;
  }
  const map = exportsField as Record<string, unknown>;
  const keys = Object.keys(map);
  if (!keys.some((k) => k.startsWith("."))) return subpath === "." ? map : null; // conditions only
  if (Object.hasOwn(map, subpath)) return map[subpath];
  let best: { key: string; star: string } | null = null;
  for (const key of keys) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (!subpath.startsWith(prefix) || !subpath.endsWith(suffix) || subpath.length < key.length - 1) continue;
    if (best === null || prefix.length > best.key.indexOf("*")) {
      best = { key, star: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  return best === null ? null : substituteStar(map[best.key], best.star);
}

/** A pattern target with its `*` replaced (in every condition branch). */
function substituteStar(target: unknown, star: string): unknown {
  if (typeof target === "string") return target.replaceAll("*", star);
  if (Array.isArray(target)) return target.map((t) => substituteStar(t, star));
  if (target !== null && typeof target === "object") {
    return Object.fromEntries(Object.entries(target).map(([k, v]) => [k, substituteStar(v, star)]));
  }
  return target;
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
  const dir = packageDirFrom(splitSpecifier(specifier).name, fromDir);
  return dir === null ? null : resolveEsmInPackage(specifier, dir);
}

/** The file URL Node's ESM loader resolves `specifier` to inside the package at `dir`, or null. */
function resolveEsmInPackage(specifier: string, dir: string): { url: string; packageDir: string } | null {
  const { subpath } = splitSpecifier(specifier);
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports?: unknown; main?: string };
    let file: string | null;
    if (pkg.exports !== undefined) {
      file = pickTarget(exportsTarget(pkg.exports, subpath));
    } else {
      file = subpath === "." ? (pkg.main ?? "index.js") : subpath;
    }
    return file ? { url: pathToFileURL(join(dir, file)).href, packageDir: dir } : null;
  } catch {
    return null;
  }
}

/**
 * Which subpath specifier of `specifiers` (`@modelcontextprotocol/sdk/client/index.js`) a file of the
 * package at `packageDir` is the CommonJS entry of, for require hooks that name a file by its path
 * inside the package (`@modelcontextprotocol/sdk/dist/cjs/client/index.js`) when the package
 * requires it through a relative path of its own.
 */
export function subpathSpecifierOfFile(specifiers: Iterable<string>, packageDir: string, file: string): string | null {
  for (const specifier of specifiers) {
    if (splitSpecifier(specifier).subpath === ".") continue;
    if (commonJsEntry(specifier, packageDir) === file) return specifier;
  }
  return null;
}

const entries = new Map<string, string | null>();

/** The file `specifier` requires from inside the package at `packageDir` (cached: a package's files do not move). */
function commonJsEntry(specifier: string, packageDir: string): string | null {
  const key = `${packageDir}\0${specifier}`;
  let entry = entries.get(key);
  if (entry === undefined) {
    try {
      entry = createRequire(join(packageDir, "package.json")).resolve(specifier);
    } catch {
      entry = null; // not exported there
    }
    entries.set(key, entry);
  }
  return entry;
}

/**
 * The name require-in-the-middle gives the CommonJS entry of a subpath specifier inside the
 * package at `packageDir`: the package name joined with the file's path, without `/index.js` and
 * `.js` (`@modelcontextprotocol/sdk/dist/cjs/server`). Listing that name makes the require hook
 * match the file however it is required, also in a package whose root entry does not resolve
 * (the SDK exports no `.`), where the hook cannot tell an internal file from the main one.
 */
export function commonJsModuleName(specifier: string, packageDir: string): string | null {
  const file = commonJsEntry(specifier, packageDir);
  if (file === null) return null;
  let realDir: string;
  try {
    realDir = realpathSync(packageDir); // require resolves to real paths (a linked package, pnpm's store)
  } catch {
    return null;
  }
  const inside = relative(realDir, file).split(sep).join("/");
  if (inside.startsWith("..")) return null;
  return `${splitSpecifier(specifier).name}/${inside}`.replace(/(\/index)?(\.js)?$/, "");
}
