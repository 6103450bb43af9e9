import { createRequire } from "node:module";
import { join } from "node:path";
import { Hook as ImportHook } from "import-in-the-middle";
import { Hook as RequireHook } from "require-in-the-middle";
import type { OpenAIClientLike } from "./internal-types.js";
import { patchClient, patchOpenAIModule, unpatchAll } from "./patch.js";
import { autologSettings as currentSettings, pluginState } from "./process-state.js";
import { settingsFrom } from "./settings.js";
import type { OpenAIAutologOptions } from "./types.js";

function warn(message: string, error?: unknown): void {
  if (currentSettings()?.silent) return;
  console.warn(`[tracewright/openai] ${message}${error instanceof Error ? `: ${error.message}` : ""}`);
}

function patch(mod: unknown, where: string): void {
  try {
    const count = patchOpenAIModule(mod, currentSettings);
    if (count === -1) warn(`${where}: the openai module has an unexpected shape; nothing was traced`);
  } catch (e) {
    warn(`${where}: patching openai failed`, e);
  }
}

/** CommonJS copies already in require's cache (loaded before autolog). */
function patchLoadedCommonJs(): void {
  for (const base of [join(process.cwd(), "noop.js"), ownModulePath()]) {
    try {
      const req = createRequire(base);
      const resolved = req.resolve("openai");
      if (req.cache[resolved]) patch(req.cache[resolved]?.exports, "loaded CommonJS openai");
    } catch {
      // openai not resolvable from there
    }
  }
}

function ownModulePath(): string {
  return typeof __filename === "string" ? __filename : join(process.cwd(), "noop.js");
}

function installHooks(): void {
  const state = pluginState();
  // one set of hooks per process, whichever copy of the plugin installed it
  if (state.hooksInstalled) return;
  state.hooksInstalled = true;
  // future require("openai"), from any copy
  new RequireHook(["openai"], (exports) => {
    patch(exports, "require('openai')");
    return exports;
  });
  // future import "openai" when the import-in-the-middle loader is registered (see ./register)
  new ImportHook(["openai"], (exported) => {
    patch(exported, "import 'openai'");
  });
}

/**
 * Traces every call the app makes through the official `openai` package: chat completions
 * (CHAT_MODEL), legacy completions (LLM), embeddings (EMBEDDING) and responses (CHAT_MODEL),
 * streaming included, with no other code change. Works whether openai was loaded before or
 * after this call. Idempotent; `autolog({ disable: true })` restores the original methods.
 *
 * The returned promise resolves once an already imported ESM copy of openai is patched too;
 * `await` it when your first call may follow immediately, or start Node with
 * `--import @tracewright/openai/register`.
 *
 * @example
 * ```ts
 * import * as openai from "@tracewright/openai";
 * await openai.autolog();
 * ```
 */
export function autolog(options: OpenAIAutologOptions = {}): Promise<void> {
  const state = pluginState();
  if (options.disable) {
    state.settings = null;
    unpatchAll();
    return Promise.resolve();
  }
  state.settings = settingsFrom(options);
  installHooks();
  patchLoadedCommonJs();
  return import("openai").then(
    (ns) => patch(ns, "import('openai')"),
    () => undefined, // openai not installed: the hooks patch it if it ever loads
  );
}

/**
 * Patches one loaded copy of the openai package explicitly: for monorepos and bundles that hold
 * several copies, or a copy that module hooks cannot see. Honours the options of the last
 * {@link autolog} call (tracing records nothing until autolog is on). Returns the number of
 * methods newly patched.
 *
 * @example
 * ```ts
 * import * as openaiModule from "openai";
 * instrumentOpenAIModule(openaiModule);
 * ```
 */
export function instrumentOpenAIModule(openaiModule: unknown): number {
  return Math.max(0, patchOpenAIModule(openaiModule, currentSettings));
}

/**
 * Traces one client instance explicitly, for bundlers and edge runtimes where module hooks
 * cannot work. Returns the same client. Independent of {@link autolog}: a client that is both
 * autologged and traced yields one span per call.
 */
export function traced<T extends object>(client: T, options: OpenAIAutologOptions = {}): T {
  const settings = settingsFrom(options);
  try {
    patchClient(client as OpenAIClientLike, () => settings);
  } catch (e) {
    if (!settings.silent) console.warn(`[tracewright/openai] could not trace this client: ${(e as Error).message}`);
  }
  return client;
}
