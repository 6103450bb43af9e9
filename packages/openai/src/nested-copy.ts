import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { loadedCommonJsCopies, resolveEsm } from "@tracewright/core/instrumentation";
import { instrumentOpenAIModule } from "./autolog.js";

/** Options of {@link instrumentOpenAIFrom}. */
export interface InstrumentOpenAIFromOptions {
  /** Where a package name is looked up from (default: `process.cwd()`, the app). */
  cwd?: string;
}

/**
 * The real directory to resolve from: a file URL or absolute path (a file or a directory), or a
 * package name looked up from `cwd` (pnpm's symlinks followed, as Node follows them).
 */
function resolutionDir(from: string, cwd: string): string | null {
  const path = from.startsWith("file:") ? fileURLToPath(from) : from;
  if (isAbsolute(path)) {
    if (!existsSync(path)) return null;
    const real = realpathSync(path);
    return statSync(real).isDirectory() ? real : dirname(real);
  }
  const found = resolveEsm(from, cwd);
  return found ? realpathSync(found.packageDir) : null;
}

/**
 * Patches the copy of openai that another package loads, for packages that bring their own
 * nested copy (`@llamaindex/openai` 0.4 depends on openai 5, while `import("openai")` in the app
 * yields the app's own copy). `from` is a package name (resolved from the app's directory), or a
 * file URL or absolute path inside that package (e.g. `import.meta.resolve("@llamaindex/openai")`).
 *
 * Patches that copy's ESM build (imported from the very file the package's own `import "openai"`
 * resolves to, so it is the same module instance) and its CommonJS build when it is loaded
 * already (a later `require` of it is patched by {@link autolog}'s hook). Honours the options of
 * the last `autolog()` call. Resolves to the number of methods newly patched; rejects when `from`
 * or its openai cannot be found.
 *
 * @example
 * ```ts
 * import * as openai from "@tracewright/openai";
 * await openai.autolog();
 * await openai.instrumentOpenAIFrom("@llamaindex/openai");
 * ```
 */
export async function instrumentOpenAIFrom(from: string, options: InstrumentOpenAIFromOptions = {}): Promise<number> {
  const dir = resolutionDir(from, options.cwd ?? process.cwd());
  if (dir === null) throw new Error(`[tracewright/openai] cannot find ${from}`);
  const copy = resolveEsm("openai", dir);
  if (copy === null) throw new Error(`[tracewright/openai] ${from} does not resolve openai`);
  const openaiDir = realpathSync(copy.packageDir);
  let count = 0;
  for (const loaded of loadedCommonJsCopies("openai")) {
    if (realpathSync(loaded.packageDir) === openaiDir) count += instrumentOpenAIModule(loaded.exports);
  }
  return count + instrumentOpenAIModule(await import(copy.url));
}
