import { createRequire } from "node:module";
import { join } from "node:path";
import { instrumentOpenAIModule } from "./autolog.js";
import { openaiCopyFrom, resolutionDir } from "./resolve-copy.js";

/** Options of {@link instrumentOpenAIFrom}. */
export interface InstrumentOpenAIFromOptions {
  /** Where a package name is looked up from (default: `process.cwd()`, the app). */
  cwd?: string;
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
  const copy = openaiCopyFrom(dir);
  if (copy === null) throw new Error(`[tracewright/openai] ${from} does not resolve openai`);
  let count = 0;
  if (copy.cjsPath !== null) {
    const cached = createRequire(join(dir, "noop.js")).cache[copy.cjsPath];
    if (cached) count += instrumentOpenAIModule(cached.exports);
  }
  if (copy.esmUrl !== null) count += instrumentOpenAIModule(await import(copy.esmUrl));
  return count;
}
