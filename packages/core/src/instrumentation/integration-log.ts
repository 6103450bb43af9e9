import { processSingleton } from "../internal/process-state.js";

/** An integration's own messages, prefixed `[tracewright/<name>]`, silenced by its `silent` option. */
export interface IntegrationLog {
  warn(message: string, error?: unknown): void;
  /** Warns the first time `key` is seen in the process, then stays quiet. */
  warnOnce(key: string, message: string, error?: unknown): void;
}

const warned = processSingleton("integration-warnings", () => new Set<string>());

function detail(error: unknown): string {
  if (error === undefined) return "";
  try {
    return `: ${error instanceof Error ? error.message : String(error)}`;
  } catch {
    return "";
  }
}

/** The logger of integration `name`; `silent()` is read at each message. */
export function createIntegrationLog(name: string, silent: () => boolean): IntegrationLog {
  const prefix = `[tracewright/${name}]`;
  const warn = (message: string, error?: unknown) => {
    if (!silent()) console.warn(`${prefix} ${message}${detail(error)}`);
  };
  return {
    warn,
    warnOnce(key, message, error) {
      const k = `${name}:${key}`;
      if (warned.has(k)) return;
      warned.add(k);
      warn(message, error);
    },
  };
}
