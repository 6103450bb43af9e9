import { processSingleton } from "./process-state.js";

/**
 * Something that holds traces handed over by a store but not yet durable (the embedded store's
 * writer thread). The export queue asks it to hurry when `flushTraces()` waits, and its exit work
 * drains it synchronously, since a thread's messages are not delivered during `exit` or a signal.
 */
export interface BackgroundWriter {
  /** Commit what is held now rather than at the next batching interval. */
  flushSoon(): void;
  /** Return only once everything held is durable, waiting at most about `timeoutMs`. */
  drainSync(timeoutMs: number): void;
}

const writers = processSingleton("background-writers", () => new Set<BackgroundWriter>());

/** Registers a writer (idempotent); {@link unregisterBackgroundWriter} when it closes. */
export function registerBackgroundWriter(w: BackgroundWriter): void {
  writers.add(w);
}

export function unregisterBackgroundWriter(w: BackgroundWriter): void {
  writers.delete(w);
}

/** Asks every writer to commit now. */
export function flushBackgroundWriters(): void {
  for (const w of writers) w.flushSoon();
}

/** Drains every writer; the first failure is rethrown after all were tried. */
export function drainBackgroundWritersSync(timeoutMs: number): void {
  let failure: unknown;
  for (const w of writers) {
    try {
      w.drainSync(timeoutMs);
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure;
}
