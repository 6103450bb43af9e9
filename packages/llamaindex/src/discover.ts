/**
 * Finds the LlamaIndex.TS modules an app can load, from the app's directory, so that autolog can
 * patch copies that were loaded before it ran: the CommonJS copy through require's cache, the ESM
 * copy by importing the file Node's ESM resolver would pick (`exports` with the "node", "import"
 * and "default" conditions).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The modules whose exports hold the classes autolog traces. */
export const LLAMAINDEX_MODULES = [
  "llamaindex",
  "llamaindex/tools",
  "llamaindex/postprocessors",
  "@llamaindex/core/llms",
  "@llamaindex/core/embeddings",
  "@llamaindex/core/retriever",
  "@llamaindex/core/query-engine",
  "@llamaindex/core/chat-engine",
  "@llamaindex/core/response-synthesizers",
  "@llamaindex/core/agent",
  "@llamaindex/core/tools",
  "@llamaindex/workflow",
  "@llamaindex/openai",
  "@llamaindex/anthropic",
  "@llamaindex/ollama",
  "@llamaindex/groq",
  "@llamaindex/google",
  "@llamaindex/mistral",
  "@llamaindex/deepseek",
  "@llamaindex/cohere",
  "@llamaindex/huggingface",
] as const;

/** The package name and the subpath (`.` or `./tools`) of a specifier. */
function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split("/");
  const size = specifier.startsWith("@") ? 2 : 1;
  const name = parts.slice(0, size).join("/");
  const rest = parts.slice(size).join("/");
  return { name, subpath: rest ? `./${rest}` : "." };
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
function packageDir(name: string, fromDir: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The file URL Node's ESM loader resolves `specifier` to from `fromDir`, or null. */
export function resolveEsm(specifier: string, fromDir: string): string | null {
  const { name, subpath } = splitSpecifier(specifier);
  const dir = packageDir(name, fromDir);
  if (dir === null) return null;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      exports?: unknown;
      main?: string;
    };
    let file: string | null;
    if (pkg.exports !== undefined) {
      const exportsMap = pkg.exports as Record<string, unknown>;
      const isSubpathMap = typeof exportsMap === "object" && Object.keys(exportsMap).some((k) => k.startsWith("."));
      file = pickTarget(isSubpathMap ? exportsMap[subpath] : subpath === "." ? exportsMap : undefined);
    } else {
      file = subpath === "." ? (pkg.main ?? "index.js") : subpath;
    }
    return file ? pathToFileURL(join(dir, file)).href : null;
  } catch {
    return null;
  }
}

/** The CommonJS copies of `specifier` already in require's cache, seen from `fromDir`. */
export function loadedCommonJs(specifier: string, fromDir: string): unknown[] {
  try {
    const req = createRequire(join(fromDir, "noop.js"));
    const cached = req.cache[req.resolve(specifier)];
    return cached ? [cached.exports] : [];
  } catch {
    return []; // not installed there
  }
}
