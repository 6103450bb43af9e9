import type { OpenAIAutologOptions, RedactTarget } from "./types.js";

/** The options in force for one set of patches (autolog's, or one traced client's). */
export interface PluginSettings {
  logTraces: boolean;
  silent: boolean;
  redact: ((value: unknown, target: RedactTarget) => unknown) | undefined;
  recordEmbeddingVectors: boolean;
}

export function settingsFrom(options: OpenAIAutologOptions = {}): PluginSettings {
  return {
    logTraces: options.logTraces ?? true,
    silent: options.silent ?? false,
    redact: options.redact,
    recordEmbeddingVectors: options.recordEmbeddingVectors ?? false,
  };
}

/** Applies the user's redaction; a failing redactor records a placeholder, never the raw value. */
export function redacted(settings: PluginSettings, value: unknown, target: RedactTarget): unknown {
  if (!settings.redact) return value;
  try {
    return settings.redact(value, target);
  } catch {
    return "<redaction failed>";
  }
}
