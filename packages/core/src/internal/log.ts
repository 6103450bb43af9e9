import { processSingleton } from "./process-state.js";

/**
 * Tracewright's own diagnostics. Instrumentation failures are logged here and never thrown
 * into user code. `TRACEWRIGHT_LOG_LEVEL=debug|info|warn|error|silent` controls the output.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = keyof typeof LEVELS;

function envLevel(): number {
  const raw = (process.env.TRACEWRIGHT_LOG_LEVEL ?? "warn").toLowerCase();
  return LEVELS[raw as Level] ?? LEVELS.warn;
}

/** Shared by every copy of core, so a warning is printed once per process and one level rules. */
const logState = processSingleton("log", () => ({ threshold: envLevel(), warnedOnce: new Set<string>() }));

/** The error's message, or its string form; never throws, whatever the error's getters do. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return "<error that cannot be described>";
  }
}

function emit(level: Level, message: string, error?: unknown): void {
  if (LEVELS[level] < logState.threshold) return;
  const detail = error === undefined ? "" : `: ${describe(error)}`;
  const line = `[tracewright] ${message}${detail}`;
  if (level === "error" || level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  debug: (m: string, e?: unknown) => emit("debug", m, e),
  info: (m: string, e?: unknown) => emit("info", m, e),
  warn: (m: string, e?: unknown) => emit("warn", m, e),
  error: (m: string, e?: unknown) => emit("error", m, e),
  /** Logs `message` at warn level the first time `key` is seen, then stays quiet. */
  warnOnce(key: string, m: string, e?: unknown): void {
    if (logState.warnedOnce.has(key)) return;
    logState.warnedOnce.add(key);
    emit("warn", m, e);
  },
  setLevel(level: Level): void {
    logState.threshold = LEVELS[level];
  },
};
