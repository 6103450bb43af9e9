import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";

/** What the exit hooks ask of the export queue. */
export interface ExitWork {
  /** Hands everything still held to the store's synchronous path. Called at most once per event. */
  saveSync(reason: string): void;
  /** Waits until everything handed to the store is written, or `timeoutMs` passed. Never rejects. */
  settle(timeoutMs: number): Promise<void>;
  /** Traces queued, waiting for their experiment, or being written. */
  pending(): number;
  /** Traces ever enqueued: tells a new batch of work from the one an earlier exit already waited for. */
  generation(): number;
}

/** How long a natural exit waits for writes and deliveries still under way (default 2 s). */
export const DEFAULT_EXIT_TIMEOUT_MS = 2000;

function timeoutFromEnv(): number {
  const raw = Number(process.env.TRACEWRIGHT_EXIT_TIMEOUT_MS);
  return Number.isFinite(raw) && raw >= 0 ? raw : DEFAULT_EXIT_TIMEOUT_MS;
}

/** Installed once per process, whichever copy of core installs them first. */
const state = processSingleton("exit-hooks", () => ({
  installed: false,
  work: undefined as ExitWork | undefined,
  exitTimeoutMs: timeoutFromEnv(),
  /** The generation a natural exit last waited for: waiting again for the same work would never end. */
  waitedFor: -1,
}));

/** How long an exit waits for writes still under way. */
export const exitTimeoutMs = (): number => state.exitTimeoutMs;

/** Sets how long a natural exit waits for writes still under way (see {@link DEFAULT_EXIT_TIMEOUT_MS}). */
export function setExitTimeout(ms: number): void {
  state.exitTimeoutMs = Math.max(0, ms);
}

/** At exit nothing may escape into the app: an exception here would skip the app's own exit listeners. */
function guarded(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    try {
      log.error(`could not save every trace at ${what}`, e);
    } catch {
      // even logging failed (a closed stderr): stay silent rather than throw
    }
  }
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Installs the process hooks that keep queued traces when the process ends:
 * - `exit` (`process.exit()`, an uncaught exception, an unhandled rejection, the loop ending): only
 *   synchronous work is possible, so what is held goes to the store's synchronous path;
 * - `beforeExit` (natural exit): waits at most the exit timeout for writes and deliveries under
 *   way, then saves what is still held synchronously, so a hung server cannot hold the exit;
 * - SIGTERM and SIGINT: save synchronously, then, when no other listener of the app's handles the
 *   signal, raise it again so that it ends the process as it would have without us (exit status
 *   128 + signal number); when the app listens, the app decides.
 */
export function installExitHooks(work: ExitWork): void {
  state.work = work;
  if (state.installed) return;
  state.installed = true;
  process.on("exit", () => guarded("exit", () => state.work?.saveSync("exit")));
  process.on("beforeExit", () =>
    guarded("exit", () => {
      const w = state.work;
      if (!w || w.pending() === 0) return;
      // beforeExit fires again once our wait ends; a second wait for the same work would loop forever
      const generation = w.generation();
      if (generation === state.waitedFor) return;
      state.waitedFor = generation;
      void w
        .settle(state.exitTimeoutMs)
        .then(() => guarded("exit", () => w.saveSync("exit")))
        .catch(() => undefined);
    }),
  );
  for (const signal of SIGNALS) {
    const onSignal = () => {
      guarded(signal, () => state.work?.saveSync(signal));
      if (process.listenerCount(signal) > 1) return; // the app has its own handler: it decides
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
