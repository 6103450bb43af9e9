import { log } from "../internal/log.js";

/**
 * Runs instrumentation code that must never disturb the user's program: a failure is logged
 * (as "tracing failed while <what>") and swallowed.
 */
export function runSafely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error(`tracing failed while ${what}`, e);
  }
}
