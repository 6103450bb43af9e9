import type { LlamaIndexAutologOptions } from "./types.js";

/** The options in force while autolog is on. */
export interface PluginSettings {
  logTraces: boolean;
  silent: boolean;
  recordEmbeddingVectors: boolean;
  suppressNestedSdkSpans: boolean;
}

export function settingsFrom(options: LlamaIndexAutologOptions = {}): PluginSettings {
  return {
    logTraces: options.logTraces ?? true,
    silent: options.silent ?? false,
    recordEmbeddingVectors: options.recordEmbeddingVectors ?? false,
    suppressNestedSdkSpans: options.suppressNestedSdkSpans ?? false,
  };
}

let current: PluginSettings | null = null;

/** The settings of the last autolog call, or null when autolog is off. */
export const currentSettings = (): PluginSettings | null => current;

export function setCurrentSettings(settings: PluginSettings | null): void {
  current = settings;
}

export function warn(message: string, error?: unknown): void {
  if (current?.silent) return;
  console.warn(`[tracewright/llamaindex] ${message}${error instanceof Error ? `: ${error.message}` : ""}`);
}
