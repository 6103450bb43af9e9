import { currentExperimentId, getTraceStore, pendingExperimentId } from "../config.js";
import { DEFAULT_EXPERIMENT_ID } from "../constants.js";
import type { Trace } from "../entities/trace.js";
import { deliveryStats } from "../internal/delivery-stats.js";
import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";

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
 * Bounds the in-memory queue of finished traces waiting to be written (defaults: 10,000 traces,
 * 64 MiB). Beyond either bound new traces are dropped, counted and logged, so a stalled store can
 * never exhaust memory.
 */
export function setExportQueueLimits(limits: { maxTraces?: number; maxBytes?: number }): void {
  if (limits.maxTraces !== undefined) q.maxQueuedTraces = limits.maxTraces;
  if (limits.maxBytes !== undefined) q.maxQueuedBytes = limits.maxBytes;
}

const traceBytes = (trace: Trace): number => trace.data.spans.reduce((n, s) => n + s.approxSizeBytes(), 0);

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
  installExitHooks();
  if (!q.asyncLogging) {
    write([trace]);
    return;
  }
  const size = traceBytes(trace);
  if (q.queue.length >= q.maxQueuedTraces || q.queuedBytes + size > q.maxQueuedBytes) {
    q.stats.dropped++;
    log.warnOnce(
      "queue-full",
      `export queue full (${q.maxQueuedTraces} traces / ${q.maxQueuedBytes} bytes): dropping traces; see getExportStats()`,
    );
    return;
  }
  q.queue.push(trace);
  q.queuedBytes += size;
  if (!q.scheduled) {
    q.scheduled = true;
    setImmediate(drain);
  }
}

function drain(): void {
  q.scheduled = false;
  if (q.queue.length === 0) return;
  const batch = q.queue;
  q.queue = [];
  q.queuedBytes = 0;
  write(batch);
}

function write(batch: Trace[]): void {
  const needsExperiment = batch.some((t) => t.info.experimentId === "");
  if (needsExperiment) {
    track(
      pendingExperimentId().then((id) => {
        for (const t of batch) if (t.info.experimentId === "") t.info.traceLocation.mlflowExperiment.experimentId = id;
        return writeResolved(batch);
      }),
      batch.length,
    );
    return;
  }
  writeResolved(batch);
}

function writeResolved(batch: Trace[]): void | Promise<void> {
  let result: void | Promise<void>;
  try {
    result = getTraceStore().logTraces(batch);
  } catch (e) {
    q.stats.failed += batch.length;
    log.error(`failed to store ${batch.length} trace(s)`, e);
    return;
  }
  if (result instanceof Promise) {
    return track(
      result.then(() => {
        q.stats.exported += batch.length;
      }),
      batch.length,
    );
  }
  q.stats.exported += batch.length;
}

function track(p: Promise<void>, count: number): Promise<void> {
  const guarded = p.catch((e: unknown) => {
    q.stats.failed += count;
    log.error(`failed to store ${count} trace(s)`, e);
  });
  q.inflight.add(guarded);
  void guarded.finally(() => q.inflight.delete(guarded));
  return guarded;
}

/**
 * Waits until every finished trace has been written to the store. Resolves (never rejects)
 * after at most `timeoutMs` when given; failures are logged and counted.
 */
export async function flushTraces(options: { timeoutMs?: number } = {}): Promise<void> {
  const work = (async () => {
    // loop: writing may resolve experiments and start further writes
    while (q.queue.length > 0 || q.inflight.size > 0) {
      drain();
      await Promise.all([...q.inflight]);
    }
  })();
  if (options.timeoutMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn(
        `flushTraces timed out after ${options.timeoutMs} ms with ${q.queue.length + q.inflight.size} write(s) pending`,
      );
      resolve();
    }, options.timeoutMs);
  });
  await Promise.race([work, timeout]);
  clearTimeout(timer);
}

/** What the export queue has done so far. */
export function getExportStats(): ExportStats {
  return {
    exported: q.stats.exported,
    failed: q.stats.failed,
    dropped: q.stats.dropped + deliveryStats.dropped,
    queued: q.queue.length,
    sent: deliveryStats.sent,
    retried: deliveryStats.retried,
    spooled: deliveryStats.spooled,
  };
}

/** Saves what is still queued when the process is about to exit. */
function installExitHooks(): void {
  if (q.exitHooksInstalled) return;
  q.exitHooksInstalled = true;
  // beforeExit allows async work: flush, which keeps the loop alive until the store has the traces.
  process.on("beforeExit", () => {
    if (q.queue.length > 0) void flushTraces();
  });
  // SIGTERM (containers, serverless shutdown): save what is queued synchronously, then let the
  // signal do what it would have done without us.
  const onSigterm = () => {
    saveQueuedSync();
    if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
  };
  process.once("SIGTERM", onSigterm);
  // exit (process.exit() or the loop ending) only allows synchronous work.
  process.on("exit", saveQueuedSync);
}

/** Writes still-queued traces with the store's synchronous path (SQLite, spools). */
function saveQueuedSync(): void {
  if (q.queue.length === 0) return;
  const batch = q.queue;
  q.queue = [];
  q.queuedBytes = 0;
  const experimentId = currentExperimentId() || DEFAULT_EXPERIMENT_ID;
  for (const t of batch)
    if (t.info.experimentId === "") t.info.traceLocation.mlflowExperiment.experimentId = experimentId;
  const store = getTraceStore();
  if (store.logTracesSync) {
    try {
      store.logTracesSync(batch);
      return;
    } catch (e) {
      log.error(`failed to store ${batch.length} trace(s) at exit`, e);
      return;
    }
  }
  log.warn(`${batch.length} trace(s) could not be stored before exit: call await flushTraces() before process.exit()`);
}
