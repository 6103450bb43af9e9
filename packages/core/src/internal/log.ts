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

let threshold = envLevel();
const warnedOnce = new Set<string>();

function emit(level: Level, message: string, error?: unknown): void {
  if (LEVELS[level] < threshold) return;
  const detail = error instanceof Error ? `: ${error.message}` : error === undefined ? "" : `: ${String(error)}`;
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
    if (warnedOnce.has(key)) return;
    warnedOnce.add(key);
    emit("warn", m, e);
  },
  setLevel(level: Level): void {
    threshold = LEVELS[level];
  },
};
