import { dirname, resolve } from "node:path";
import { Hook as RequireHook } from "require-in-the-middle";
import { LLAMAINDEX_MODULES, loadedCommonJs, resolveEsm } from "./discover.js";
import { instrumentModule, unpatchAll } from "./patch.js";
import { setCurrentSettings, settingsFrom, warn } from "./settings.js";
import type { LlamaIndexAutologOptions } from "./types.js";

const PACKAGES = [
  ...new Set(
    LLAMAINDEX_MODULES.map((m) =>
      m
        .split("/")
        .slice(0, m.startsWith("@") ? 2 : 1)
        .join("/"),
    ),
  ),
];
let requireHook: RequireHook | null = null;

function patch(mod: unknown, where: string): void {
  try {
    instrumentModule(mod);
  } catch (e) {
    warn(`${where}: patching LlamaIndex failed`, e);
  }
}

/** Where the app's modules resolve from: the working directory and the entry script's directory. */
function appDirs(): string[] {
  const dirs = [process.cwd()];
  if (process.argv[1]) dirs.push(dirname(resolve(process.argv[1])));
  return [...new Set(dirs)];
}

function installRequireHook(): void {
  if (requireHook) return;
  // every file of the LlamaIndex packages a later require() loads, from any copy
  requireHook = new RequireHook(PACKAGES, { internals: true }, (exports, name) => {
    patch(exports, `require('${name}')`);
    return exports;
  });
}

async function patchEsmCopies(): Promise<void> {
  const urls = new Set<string>();
  for (const dir of appDirs()) {
    for (const specifier of LLAMAINDEX_MODULES) {
      const url = resolveEsm(specifier, dir);
      if (url) urls.add(url);
    }
  }
  await Promise.all(
    [...urls].map((url) =>
      import(url).then(
        (ns: unknown) => patch(ns, `import('${url}')`),
        () => undefined, // an optional provider that fails to load is not ours to report
      ),
    ),
  );
}

/**
 * Traces LlamaIndex.TS applications: query engines and chat engines (CHAIN), retrievers
 * (RETRIEVER, with the retrieved nodes as documents), LLM chat (CHAT_MODEL) and completion (LLM)
 * with messages, tools and token usage, embeddings (EMBEDDING), node postprocessors (RERANKER),
 * tools (TOOL) and agents (AGENT), streaming included. For `llamaindex` 0.12 with
 * `@llamaindex/core` 0.6, `@llamaindex/workflow` 1.x and the `@llamaindex/*` LLM providers.
 *
 * Await it before the first LlamaIndex call: it imports the LlamaIndex modules installed next to
 * the app to patch their classes. Idempotent; `autolog({ disable: true })` restores the original
 * methods.
 *
 * @example
 * ```ts
 * import * as llamaindex from "@tracewright/llamaindex";
 * await llamaindex.autolog();
 * ```
 */
export async function autolog(options: LlamaIndexAutologOptions = {}): Promise<void> {
  if (options.disable) {
    setCurrentSettings(null);
    unpatchAll();
    return;
  }
  setCurrentSettings(settingsFrom(options));
  installRequireHook();
  for (const dir of appDirs()) {
    for (const specifier of LLAMAINDEX_MODULES) {
      for (const exports of loadedCommonJs(specifier, dir)) patch(exports, `loaded CommonJS ${specifier}`);
    }
  }
  await patchEsmCopies();
}

/**
 * Patches the traced classes one module exports, for copies that autolog cannot find (bundles,
 * other directories) and for your own LLM, embedding, retriever or tool subclasses. Honours the
 * options of the last {@link autolog} call (nothing is recorded until autolog is on). Returns the
 * number of methods newly patched.
 *
 * @example
 * ```ts
 * instrumentLlamaIndexModule({ MyRetriever });
 * ```
 */
export function instrumentLlamaIndexModule(mod: unknown): number {
  return instrumentModule(mod);
}
