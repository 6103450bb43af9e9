/**
 * The plugin's process-wide state, shared by every copy of the plugin loaded in the process.
 *
 * One process can hold several copies: a CommonJS app started with `--import
 * @tracewright/openai/register` runs the hook's ESM build and `require`s the CommonJS build.
 * Module-level variables would give each copy its own autolog settings, so options passed in
 * code would not reach the methods the other copy patched. The state lives on `globalThis`
 * under a versioned registered symbol instead (as `@opentelemetry/api` does); a future
 * incompatible shape takes a new version key rather than reading an old one.
 */
import type { PluginSettings } from "./settings.js";

/** The method holder a patch replaced `create` on (a resource class's prototype). */
export interface PatchedPrototype {
  create?: (this: unknown, body?: unknown, options?: unknown) => unknown;
}

export interface OpenAIPluginState {
  /** The options of the last `autolog()` call; null while autolog is off. */
  settings: PluginSettings | null;
  /** Module hooks (require-in-the-middle, import-in-the-middle) are installed, by any copy. */
  hooksInstalled: boolean;
  /** Every prototype any copy patched, so `autolog({ disable: true })` from any copy restores them all. */
  patchedPrototypes: Set<PatchedPrototype>;
}

const STATE_KEY = Symbol.for("tracewright.openai.state.v1");

/** The one state of this process, created by the first copy that asks. */
export function pluginState(): OpenAIPluginState {
  const holder = globalThis as typeof globalThis & { [STATE_KEY]?: OpenAIPluginState };
  let state = holder[STATE_KEY];
  if (state === undefined) {
    state = { settings: null, hooksInstalled: false, patchedPrototypes: new Set() };
    Object.defineProperty(holder, STATE_KEY, { value: state, enumerable: false, configurable: false, writable: false });
  }
  return state;
}

/** The settings in force for autologged calls, read at call time (so any copy's autolog applies). */
export const autologSettings = (): PluginSettings | null => pluginState().settings;
