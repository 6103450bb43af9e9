import { getTraceExporter, onBeforeDestinationChange, onDestinationChange } from "../config/destination.js";
import { currentExperimentId, pendingExperimentId, stampPendingExperiment } from "../config/experiment.js";
import type { Trace } from "../entities/trace.js";
import { approxSpanBytes } from "../entities/trace-data.js";
import { failedTracesOf } from "../errors.js";
import { drainBackgroundWritersSync, flushBackgroundWriters } from "../internal/background-writers.js";
import { deliveryStats } from "../internal/delivery-stats.js";
import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";
import { isHandoffFull } from "../store/sqlite/write-handoff.js";
import { experimentIdAtExit } from "./exit-experiment.js";
import { exitTimeoutMs, installExitHooks, setExitTimeout } from "./exit-hooks.js";
import { truncationStats } from "./trace-size.js";

/** Counters describing what the export queue and the delivery to remote destinations did. */
export interface ExportStats {
  /** Traces a remote destination accepted. */
  sent: number;
  /** Failed deliveries to a remote destination that will be retried. */
  retried: number;
  /** Traces written to a remote destination's on-disk spool. */
  spooled: number;
  /** Traces handed to the store successfully. */
  exported: number;
  /** Traces the store failed to accept (logged). */
  failed: number;
  /** Traces dropped: the queue or a spool was full, or a destination refused them. */
  dropped: number;
  /** Traces waiting to be written. */
  queued: number;
  /** Traces cut to fit the span or trace size budget (see `setTraceSizeLimits`). */
  truncated: number;
  /** Unreadable spool files (or unreadable traces within one) moved aside to the spool's `quarantine/`. */
  quarantined: number;
  /**
   * Traces dropped because the embedded store's writer thread was too far behind (its bounded
   * hand-off was full: the app produced faster than the disk took them). Included in `dropped`.
   */
  overflowed: number;
}

/**
 * The queue and its counters, shared by every copy of core in the process: one queue, one set of
 * exit hooks, whichever copy finished the trace.
 */
const q = processSingleton("export-queue", () => ({
  maxQueuedTraces: 10_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  queuedBytes: 0,
  asyncLogging: process.env.TRACEWRIGHT_ASYNC_LOGGING !== "false",
  queue: [] as Trace[],
  scheduled: false,
  inflight: new Set<Promise<void>>(),
  stats: { exported: 0, failed: 0, dropped: 0 },
  exitHooksInstalled: false,
}));

/**
 * State added after the first release of the queue's slot lives in its own slot, so that a copy of
 * core that created the older slot and this copy share both without either missing a field.
 */
const x = processSingleton("export-queue.exit", () => ({
  /** Finished traces taken off the queue, waiting for their experiment's id. */
  awaiting: new Set<Trace>(),
  /** Traces ever enqueued. */
  enqueued: 0,
  /** Set while the store's writer thread is too far behind: the queue waits, then tries again. */
  heldBack: undefined as NodeJS.Timeout | undefined,
  /**
   * Once the embedded store's hand-off was found full: at most this many bytes of traces per
   * offer (half its bound). An empty hand-off takes a batch larger than itself whole, as one
   * message (a structured clone on the app's thread: bench:store measured ~50 ms for a backlog
   * of 25 MB), so a backlog is offered in parts the ring can take. Forgotten when the
   * destination changes.
   */
  offerBytes: undefined as number | undefined,
}));

// the bound learned is that store's: another destination (a larger ring, a remote store) takes
// whole batches again until it says otherwise
onDestinationChange(() => {
  x.offerBytes = undefined;
});

// traces that finished while the old destination was in effect are its own: handed to it now,
// not when the gather window ends, by when the new one would take them
onBeforeDestinationChange(() => {
  while (q.queue.length > 0 && x.heldBack === undefined) {
    const before = q.queue.length;
    drain();
    if (q.queue.length >= before) break;
  }
});

/** How long the queue waits before offering a held-back batch to a store whose writer was behind. */
const HOLD_BACK_MS = 5;

/**
 * Finished traces gather this long (ms) before the queue offers them to the store, unless
 * {@link GATHER_TRACES} of them or {@link GATHER_BYTES} wait first: then they go at once, from
 * the call that finished the last one. A batch costs the app's thread far less per trace than a
 * trace at a time: each offer runs the store's code cold, after the thread has idled (over
 * loopback, bench/openai.mjs measured the embedded store's `logTraces` at 16-19 µs for one trace,
 * 12 µs per trace in batches of ~7, 7-8 µs in batches of ~29). Short enough that no trace waits
 * long enough to outlive the young generation of the garbage collector (scavenges here are
 * 100 ms and more apart) and that the store's own interval (the embedded store commits every
 * 100 ms) still dominates. The count bound keeps an offer's synchronous part short, and makes a
 * loop that never yields to the event loop (awaits on promises only: no timer or I/O callback
 * runs) hand its traces over as it goes, rather than fill the queue until traces are dropped.
 */
const GATHER_MS = 10;
const GATHER_TRACES = 32;
const GATHER_BYTES = 512 * 1024;

/**
 * Bounds the in-memory queue of finished traces waiting to be written (defaults: 10,000 traces,
 * 64 MiB). Beyond either bound new traces are dropped, counted and logged, so a stalled store can
 * never exhaust memory. `exitTimeoutMs` bounds how long a natural exit waits for writes and
 * deliveries still under way (default 2,000 ms, or `TRACEWRIGHT_EXIT_TIMEOUT_MS`); what is still
 * held then is saved through the store's synchronous path (a remote destination's spool).
 */
export function setExportQueueLimits(limits: { maxTraces?: number; maxBytes?: number; exitTimeoutMs?: number }): void {
  if (limits.maxTraces !== undefined) q.maxQueuedTraces = limits.maxTraces;
  if (limits.maxBytes !== undefined) q.maxQueuedBytes = limits.maxBytes;
  if (limits.exitTimeoutMs !== undefined) setExitTimeout(limits.exitTimeoutMs);
}

/** A trace's size as the queue's byte bound counts it (measured once per trace, see approxSpanBytes). */
const traceBytes = (trace: Trace): number => approxSpanBytes(trace.data);

/**
 * Chooses whether finished traces are written in the background (the default: user code never
 * waits on I/O) or immediately when the root span ends (handy in tests and short scripts).
 */
export function enableAsyncLogging(enabled = true): void {
  q.asyncLogging = enabled;
}

/** True when traces are written in the background. */
export const isAsyncLogging = (): boolean => q.asyncLogging;

/** @internal Hands a finished trace to the store, in the background unless async logging is off. */
export function enqueueTrace(trace: Trace): void {
  installExitHooks(exitWork);
  x.enqueued++;
  if (!q.asyncLogging) {
    write([trace]);
    return;
  }
  const size = traceBytes(trace);
  if (q.queue.length >= q.maxQueuedTraces || q.queuedBytes + size > q.maxQueuedBytes) {
    if (x.heldBack !== undefined) {
      // full because the store's writer thread is behind: an overflow of the hand-off
      deliveryStats.overflowed = (deliveryStats.overflowed ?? 0) + 1;
      warnOverflow();
      return;
    }
    q.stats.dropped++;
    log.warnOnce(
      "queue-full",
      `export queue full (${q.maxQueuedTraces} traces / ${q.maxQueuedBytes} bytes): dropping traces; see getExportStats()`,
    );
    return;
  }
  q.queue.push(trace);
  q.queuedBytes += size;
  if (q.queue.length >= GATHER_TRACES || q.queuedBytes >= GATHER_BYTES) drain();
  else if (!q.scheduled) {
    q.scheduled = true;
    setTimeout(drain, GATHER_MS);
  }
}

/** Drains the queue on the next turn of the event loop, unless a drain is already due. */
function scheduleDrain(): void {
  if (!q.scheduled) {
    q.scheduled = true;
    setImmediate(drain);
  }
}

function drain(): void {
  q.scheduled = false;
  if (q.queue.length === 0 || x.heldBack !== undefined) return;
  const cap = x.offerBytes;
  if (cap !== undefined && q.queuedBytes > cap) {
    // a part the hand-off can take; the rest is offered next, unless this part found it full
    let n = 0;
    let bytes = 0;
    do bytes += traceBytes(q.queue[n++] as Trace);
    while (n < q.queue.length && bytes + traceBytes(q.queue[n] as Trace) <= cap);
    const batch = q.queue.slice(0, n);
    q.queue = q.queue.slice(n);
    q.queuedBytes = Math.max(0, q.queuedBytes - bytes);
    scheduleDrain();
    write(batch);
    return;
  }
  const batch = q.queue;
  q.queue = [];
  q.queuedBytes = 0;
  write(batch);
}

/**
 * Traces whose experiment was still being looked up when they finished get its id once known.
 * Until then they wait in `x.awaiting`, where an exit finds them: an exit must save them, not
 * lose them, and must not guess an experiment for them.
 */
function write(batch: Trace[]): void {
  // a remote destination's spool takes traces at once, under the experiment's name if need be
  try {
    stampPendingExperiment(batch, getTraceExporter());
  } catch {
    // a store that cannot open: writeResolved below logs it and counts the traces failed
  }
  const unresolved = new Set(batch.filter((t) => t.info.experimentId === ""));
  if (unresolved.size === 0) {
    writeResolved(batch);
    return;
  }
  for (const t of unresolved) x.awaiting.add(t);
  const stamp = (id: string) => {
    for (const t of unresolved) if (x.awaiting.has(t)) t.info.traceLocation.mlflowExperiment.experimentId = id;
  };
  const unknown = (e: unknown) => {
    // kept as they are: the store holds them under the experiment's name until it resolves it
    log.warnOnce("experiment-unresolved", "the experiment could not be resolved yet; storing traces without its id", e);
  };
  track(
    pendingExperimentId()
      .then(stamp, unknown)
      .then(() => {
        // traces an exit hook saved meanwhile are no longer ours to write
        const still = batch.filter((t) => !unresolved.has(t) || x.awaiting.delete(t));
        if (still.length > 0) return writeResolved(still);
      }),
    batch.length,
  );
}

function writeResolved(batch: Trace[]): void | Promise<void> {
  let result: void | Promise<void>;
  try {
    result = getTraceExporter().logTraces(batch);
  } catch (e) {
    if (isHandoffFull(e)) {
      // the store may have taken the first part: that part is written, the rest waits
      if (typeof e.limit === "number" && e.limit > 0) x.offerBytes = Math.max(1, e.limit >> 1);
      const taken = e.acceptedCount ?? 0;
      if (e.accepted && taken > 0) {
        track(e.accepted, taken, true);
      }
      holdBack(e.rest ? [...e.rest] : batch);
      return;
    }
    countFailedWrite(e, batch.length);
    return;
  }
  if (result instanceof Promise) {
    // the count, not the batch: a closure over the traces would keep them alive until the store
    // settles (a commit interval for the embedded store), long enough to outlive the young
    // generation and cost the app's thread a full garbage collection
    return track(result, batch.length, true);
  }
  q.stats.exported += batch.length;
}

/**
 * The store's writer thread is behind (its bounded hand-off is full): the batch goes back to the
 * head of the queue, within the queue's own bounds, and the queue tries again shortly. What does
 * not fit is dropped and counted as overflowed, so a producer faster than the disk never grows
 * the heap without bound.
 */
const warnOverflow = (): void =>
  log.warnOnce(
    "store-overflow",
    "the embedded store's writer thread is behind and the export queue is full: dropping traces; see getExportStats().overflowed",
  );

function holdBack(batch: Trace[]): void {
  const kept: Trace[] = [];
  let keptBytes = 0;
  let overflowed = 0;
  for (const t of batch) {
    const size = traceBytes(t);
    if (kept.length + q.queue.length < q.maxQueuedTraces && keptBytes + size + q.queuedBytes <= q.maxQueuedBytes) {
      kept.push(t);
      keptBytes += size;
    } else overflowed++;
  }
  if (overflowed > 0) {
    deliveryStats.overflowed = (deliveryStats.overflowed ?? 0) + overflowed;
    warnOverflow();
  }
  q.queue = kept.length > 0 ? kept.concat(q.queue) : q.queue;
  q.queuedBytes += keptBytes;
  if (x.heldBack === undefined) {
    x.heldBack = setTimeout(() => {
      x.heldBack = undefined;
      drain();
    }, HOLD_BACK_MS);
    // the writer thread holds the process while it writes; this timer must not hold it alone
    x.heldBack.unref();
  }
}

/**
 * Counts a failed write of `count` traces, and logs it: a store may have written part of the
 * batch (a TracesNotStoredError says how much), and that part counts as exported when `exported`.
 */
function countFailedWrite(e: unknown, count: number, exported = true): void {
  const failed = failedTracesOf(e, count);
  q.stats.failed += failed;
  if (exported) q.stats.exported += count - failed;
  log.error(failed === count ? `failed to store ${count} trace(s)` : "a store wrote part of a batch", e);
}

function track(p: Promise<void>, count: number, exported = false): Promise<void> {
  // one reaction per write (this runs once per trace at a low rate): counted, logged, untracked
  const guarded: Promise<void> = p.then(
    () => {
      if (exported) q.stats.exported += count;
      q.inflight.delete(guarded);
      // a write done frees room in a store that was full: what waits for it goes now, not when
      // the hold-back's timer fires (bench:store: the hand-off sat empty for that long)
      if (x.heldBack !== undefined) {
        clearTimeout(x.heldBack);
        x.heldBack = undefined;
        scheduleDrain();
      }
    },
    (e: unknown) => {
      countFailedWrite(e, count, exported);
      q.inflight.delete(guarded);
    },
  );
  q.inflight.add(guarded);
  return guarded;
}

/** Waits until everything is written, or `timeoutMs` passed; true when everything was written. */
async function settle(timeoutMs: number | undefined): Promise<boolean> {
  const work = (async () => {
    // loop: writing may resolve experiments and start further writes
    while (q.queue.length > 0 || q.inflight.size > 0) {
      // a waiting flush offers held-back traces at once; if the writer is still behind, its
      // pending writes are in flight and awaited below (or, if none is the queue's, a pause)
      if (x.heldBack !== undefined) {
        clearTimeout(x.heldBack);
        x.heldBack = undefined;
      }
      drain();
      flushBackgroundWriters(); // a writer thread would otherwise wait for more to batch
      if (q.inflight.size === 0 && x.heldBack !== undefined) {
        // held back by a hand-off full of writes that are not the queue's (the store's logTraces
        // called directly): nothing to await, and retrying at once would spin on microtasks and
        // starve the very message that frees the hand-off (and this flush's own timeout)
        await new Promise((resolve) => setTimeout(resolve, HOLD_BACK_MS));
        continue;
      }
      await Promise.all([...q.inflight]);
    }
    return true;
  })();
  if (timeoutMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const done = await Promise.race([work, timeout]);
  clearTimeout(timer);
  return done;
}

/** Writes still under way, for messages. */
const pendingWrites = (): number => q.queue.length + x.awaiting.size + q.inflight.size;

/**
 * Keeps the process alive while a caller awaits a flush; returns the release. Deliveries to a
 * remote destination run on unref'd sockets and timers (internal/background-io.ts), so that they
 * never hold a natural exit. A flush is awaited, though: were all it waits for unref'd, the event
 * loop would empty, `beforeExit` would wait the exit timeout once, and Node would then end the
 * process with the caller's `await` never resumed (exit code 13 at a module's top level, a silent
 * 0 inside an async function), the rest of the program skipped.
 */
function holdProcessOpen(): () => void {
  const handle = setInterval(() => undefined, 2 ** 30);
  return () => clearInterval(handle);
}

/**
 * Waits until every finished trace has been written to the store (for a remote destination: made
 * durable in its spool and the delivery attempt under way over), keeping the process alive
 * meanwhile. Resolves (never rejects) after at most `timeoutMs` when given; failures are logged
 * and counted.
 */
export async function flushTraces(options: { timeoutMs?: number } = {}): Promise<void> {
  const release = holdProcessOpen();
  try {
    if (await settle(options.timeoutMs)) return;
  } finally {
    release();
  }
  log.warn(`flushTraces timed out after ${options.timeoutMs} ms with ${pendingWrites()} write(s) pending`);
}

/** What the export queue has done so far. */
export function getExportStats(): ExportStats {
  return {
    exported: q.stats.exported,
    failed: q.stats.failed,
    dropped: q.stats.dropped + deliveryStats.dropped + (deliveryStats.overflowed ?? 0),
    queued: q.queue.length,
    truncated: truncationStats.traces,
    sent: deliveryStats.sent,
    retried: deliveryStats.retried,
    spooled: deliveryStats.spooled,
    quarantined: deliveryStats.quarantined ?? 0,
    overflowed: deliveryStats.overflowed ?? 0,
  };
}

/**
 * Takes everything not yet handed to the store (the queue, and traces waiting for their
 * experiment) and writes it with the store's synchronous path (SQLite, a remote destination's
 * spool). A trace whose experiment is known by now gets its id; one whose experiment is still
 * being looked up is saved as it is, with no id: the Default experiment would be a wrong guess.
 * May throw (a store that cannot open): the exit hooks log it.
 */
function saveHeldSync(reason: string): void {
  try {
    saveQueuedSync(reason);
  } finally {
    // what stores handed to their writer threads: no message arrives during exit, so wait here
    drainBackgroundWritersSync(exitTimeoutMs());
  }
}

function saveQueuedSync(reason: string): void {
  const batch = [...x.awaiting, ...q.queue];
  x.awaiting.clear();
  q.queue = [];
  q.queuedBytes = 0;
  if (batch.length === 0) return;
  let store: ReturnType<typeof getTraceExporter>;
  try {
    store = getTraceExporter();
  } catch (e) {
    q.stats.failed += batch.length;
    throw e;
  }
  if (batch.some((t) => t.info.experimentId === "")) {
    let experimentId = "";
    try {
      experimentId = currentExperimentId() || experimentIdAtExit(store);
    } catch {
      // not known: saved without it (a remote destination's spool names the experiment itself)
    }
    if (experimentId !== "")
      for (const t of batch)
        if (t.info.experimentId === "") t.info.traceLocation.mlflowExperiment.experimentId = experimentId;
  }
  if (!store.logTracesSync) {
    q.stats.failed += batch.length;
    log.warn(
      `${batch.length} trace(s) could not be stored at ${reason}: the store has no synchronous path; call await flushTraces() before exiting`,
    );
    return;
  }
  try {
    store.logTracesSync(batch);
    q.stats.exported += batch.length;
  } catch (e) {
    const failed = failedTracesOf(e, batch.length);
    q.stats.failed += failed;
    q.stats.exported += batch.length - failed;
    throw e;
  }
}

/** What the exit hooks see of the queue. */
const exitWork = {
  saveSync: saveHeldSync,
  settle: async (timeoutMs: number) => {
    if (await settle(timeoutMs)) return;
    log.warn(
      `exit: ${pendingWrites()} write(s) still under way after ${timeoutMs} ms; not waiting longer (a remote destination keeps its traces in its spool and delivers them after a restart)`,
    );
  },
  pending: pendingWrites,
  generation: () => x.enqueued,
};
