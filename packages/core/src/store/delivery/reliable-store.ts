import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { DEFAULT_EXPERIMENT_ID } from "../../constants.js";
import { Trace } from "../../entities/trace.js";
import { runInBackground } from "../../internal/background-io.js";
import { deliveryStats } from "../../internal/delivery-stats.js";
import { log } from "../../internal/log.js";
import { brandClass } from "../../internal/process-state.js";
import { readableStoreOf, type TraceExporter, type TraceStore } from "../trace-store.js";
import { experimentForUnstamped, experimentNameOf } from "./experiment-ref.js";
import { TraceSpool } from "./spool.js";

/** Options of {@link ReliableRemoteStore}. */
export interface DeliveryOptions {
  /** Where undelivered traces wait (default `.tracewright/spool/<destination hash>`, or `$TRACEWRIGHT_SPOOL_DIR`). */
  spoolDir?: string;
  /** Traces the spool holds at most (default 100,000). */
  maxSpoolTraces?: number;
  /** Bytes the spool holds at most (default 256 MiB). */
  maxSpoolBytes?: number;
  /** Traces per request to the destination (default 1; OTLP collectors take larger batches). */
  batchSize?: number;
  /** First retry delay (default 500 ms); doubles per failed attempt, with jitter, up to `maxDelayMs`. */
  baseDelayMs?: number;
  /** Longest wait between attempts without a Retry-After (default 4 s): how soon recovery is seen. */
  maxDelayMs?: number;
  /** Traces kept in memory at most when no spool directory is writable (default 10,000). */
  maxMemoryTraces?: number;
}

/** The HTTP status of a failed delivery, when there was a response. */
function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; code?: unknown } | null;
  if (typeof e?.status === "number" && e.status > 0) return e.status;
  if (typeof e?.code === "number" && e.code >= 100) return e.code;
  return undefined;
}

/**
 * A refusal: a complete 4xx answer (other than 408 and 429), which sending again cannot change.
 * Everything else is retried: network errors, timeouts, 408, 429, 5xx, and replies that were
 * not what the protocol promises (a truncated or malformed 200 says nothing about the trace).
 */
function isRefusal(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The destination's own Retry-After, bounded so a hostile or broken header cannot stop delivery for good. */
function retryAfterOf(error: unknown): number | undefined {
  const ms = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 10 * 60_000) : undefined;
}

/** The default spool directory of a destination. */
export function defaultSpoolDir(destination: string): string {
  const base = process.env.TRACEWRIGHT_SPOOL_DIR ?? resolve(".tracewright", "spool");
  return join(base, createHash("sha256").update(destination).digest("hex").slice(0, 16));
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Delivers traces to a remote destination without losing them: each trace is first written to a
 * crash-safe on-disk spool (falling back to a temporary directory, then to bounded memory, when
 * the spool is not writable), then sent in order by one delivery loop per destination. A network
 * error, timeout, 408, 429, 5xx or malformed reply leaves it spooled; the loop then waits (the
 * server's Retry-After, else exponential backoff with jitter, capped at `maxDelayMs` so recovery
 * is seen within that interval) and new traces only join the spool meanwhile, also after the
 * process restarts. A well-formed 4xx refusal is logged with the server's message and dropped.
 * Traces whose experiment was still being resolved carry the experiment's name and are resolved,
 * with the same retries, when delivered. Unreadable spool files are moved aside (`quarantine/`).
 * Never throws into the caller's code. It only exports: reads, experiments and runs go straight
 * to the destination, named by {@link ReliableRemoteStore.readsFrom} when it can read.
 */
export class ReliableRemoteStore implements TraceExporter {
  private readonly spool: TraceSpool;
  private draining: Promise<void> | null = null;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly rescanTimer: NodeJS.Timeout;
  /** No attempt before this time (backoff or Retry-After). */
  private notBefore = 0;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly batchSize: number;
  private readonly experimentIds = new Map<string, string>();
  private closed = false;

  constructor(
    readonly destination: TraceExporter,
    destinationKey: string,
    options: DeliveryOptions = {},
  ) {
    const dir = options.spoolDir ?? defaultSpoolDir(destinationKey);
    this.spool = new TraceSpool(dir, {
      maxTraces: options.maxSpoolTraces ?? 100_000,
      maxBytes: options.maxSpoolBytes ?? 256 * 1024 * 1024,
      ...(options.maxMemoryTraces !== undefined ? { maxMemoryTraces: options.maxMemoryTraces } : {}),
    });
    this.batchSize = Math.max(1, options.batchSize ?? 1);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 4000;
    // traces left by an earlier process are delivered now, in the background
    if (this.spool.batchCount() > 0) this.schedule(0);
    // and those of a process sharing the spool that dies later, when found
    this.rescanTimer = setInterval(() => {
      if (this.draining || this.spool.batchCount() > 0) return;
      void this.spool.rescan().then((n) => {
        if (n > 0) void this.drain();
      });
    }, 30_000);
    this.rescanTimer.unref();
  }

  /** The destination, when it can read (an MLflow server); undefined for a write-only one (a collector). */
  get readsFrom(): TraceStore | undefined {
    return readableStoreOf(this.destination) ?? undefined;
  }

  /** Traces waiting in the spool. */
  pending(): number {
    return this.spool.traceCount();
  }

  /**
   * Counts the traces into the spool (O(1), whatever it holds); resolves once they are durable.
   * Traces still waiting for their experiment carry its name (see experiment-ref.ts).
   */
  private enqueue(traces: Trace[], sync: boolean): Promise<void> {
    if (traces.length === 0) return Promise.resolve();
    for (const t of traces) {
      // finished while the experiment was being looked up: spooled under its name, resolved when sent
      if (t.info.experimentId !== "") continue;
      const id = experimentForUnstamped();
      if (id !== undefined) t.info.traceLocation.mlflowExperiment.experimentId = id;
    }
    const dicts = traces.map((t) => t.toDict());
    let kept: number;
    let durable = Promise.resolve();
    if (sync) kept = this.spool.addSync(dicts);
    else ({ kept, durable } = this.spool.add(dicts));
    deliveryStats.spooled += kept;
    if (kept < traces.length) {
      deliveryStats.dropped += traces.length - kept;
      log.warnOnce("spool-full", `trace spool ${this.spool.dir} is full: dropping traces; see getExportStats()`);
    }
    return durable;
  }

  /**
   * Spools the traces, then (unless the destination asked to wait or is backing off) delivers what
   * is spooled. Resolves once the traces are durable and the current delivery attempt is over.
   */
  async logTraces(traces: Trace[]): Promise<void> {
    await this.enqueue(traces, false);
    if (Date.now() < this.notBefore) {
      this.schedule(this.notBefore - Date.now());
      return;
    }
    return this.drain();
  }

  logTracesSync(traces: Trace[]): void {
    void this.enqueue(traces, true);
  }

  /** Wakes the delivery loop at `notBefore`, replacing an earlier wake-up. */
  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.drain();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref();
  }

  /** Records a failed attempt and decides when the next one may run. */
  private failed(error: unknown): void {
    this.failures++;
    deliveryStats.retried++;
    log.warnOnce("delivery-retry", "trace destination unavailable, retrying in the background", error);
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = retryAfterOf(error) ?? exp / 2 + Math.random() * (exp / 2);
    this.notBefore = Date.now() + delay;
    this.schedule(delay);
  }

  /**
   * Sends what is spooled, oldest first, until the spool is empty, the destination fails, or it
   * asked to wait. One pass at a time per destination: concurrent callers share it.
   */
  drain(): Promise<void> {
    // background work: its requests must not keep the process alive (see internal/background-io.ts)
    this.draining ??= runInBackground(() => this.drainOnce()).finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    // each turn removes the head batch (delivered, dropped, claimed elsewhere or quarantined) or
    // stops: the loop cannot spin, and it yields to the event loop between batches
    for (let entry = this.spool.peek(); entry && !this.closed; entry = this.spool.peek()) {
      if (Date.now() < this.notBefore) {
        this.schedule(this.notBefore - Date.now());
        return;
      }
      if (!(await this.sendBatch(entry))) return;
      await yieldToEventLoop();
    }
  }

  /**
   * The id of experiment `name` at the destination, created if absent; cached. A write-only
   * destination (a collector) has no experiments to look names up in: the Default experiment's id,
   * as the configuration gives traces for such a destination.
   */
  private async experimentId(name: string): Promise<string> {
    const known = this.experimentIds.get(name);
    if (known !== undefined) return known;
    const store = this.readsFrom;
    if (!store) return DEFAULT_EXPERIMENT_ID;
    let experiment = await store.getExperimentByName(name);
    if (!experiment) {
      try {
        experiment = await store.createExperiment(name);
      } catch (e) {
        // created meanwhile by another process: look it up again
        experiment = await store.getExperimentByName(name);
        if (!experiment) throw e;
      }
    }
    this.experimentIds.set(name, experiment.experimentId);
    return experiment.experimentId;
  }

  /** Sends one spooled batch; false when the destination failed (retry scheduled). */
  private async sendBatch(entry: NonNullable<ReturnType<TraceSpool["peek"]>>): Promise<boolean> {
    const loaded = await this.spool.load(entry);
    if ("gone" in loaded) {
      this.spool.forget(entry); // another process sharing the spool took it
      return true;
    }
    if ("unreadable" in loaded) {
      const where = await this.spool.quarantine(entry);
      deliveryStats.quarantined++;
      log.warnOnce(
        `spool-quarantine:${this.spool.dir}`,
        `unreadable trace spool file ${entry.name} (${loaded.unreadable}) moved to ${where}; later ones are counted in getExportStats().quarantined`,
      );
      return true;
    }
    const items = loaded.items;
    const good: unknown[] = [];
    const parsed: Trace[] = [];
    const bad: unknown[] = [];
    for (const d of items) {
      try {
        parsed.push(Trace.fromDict(d as Record<string, unknown>));
        good.push(d);
      } catch {
        bad.push(d);
      }
    }
    if (bad.length > 0) {
      const where = await this.spool.quarantineItems(entry, bad);
      deliveryStats.quarantined++;
      log.warnOnce(
        `spool-quarantine:${this.spool.dir}`,
        `${bad.length} unreadable trace(s) in spool file ${entry.name} kept aside in ${where}; later ones are counted in getExportStats().quarantined`,
      );
    }
    let remaining = good;
    let next = 0; // index in `parsed` of remaining[0]
    while (remaining.length > 0) {
      const batch = remaining.slice(0, this.batchSize);
      const traces = parsed.slice(next, next + batch.length);
      try {
        for (const t of traces) {
          const name = experimentNameOf(t.info.experimentId);
          if (name !== undefined) t.info.traceLocation.mlflowExperiment.experimentId = await this.experimentId(name);
        }
        await this.destination.logTraces(traces);
      } catch (error) {
        if (!isRefusal(error)) {
          // keep what is left, in place, and try again later
          await this.spool.replace(entry, remaining);
          await this.spool.release(entry);
          this.failed(error);
          return false;
        }
        log.error(`${batch.length} trace(s) refused by the destination; dropped`, error);
        deliveryStats.dropped += batch.length;
        remaining = remaining.slice(batch.length);
        next += batch.length;
        continue;
      }
      deliveryStats.sent += batch.length;
      this.failures = 0;
      remaining = remaining.slice(batch.length);
      next += batch.length;
    }
    await this.spool.remove(entry);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.rescanTimer);
    this.timer = undefined;
    await this.destination.close?.();
  }
}

// `instanceof` works for stores made by another copy of core loaded in the same process.
brandClass(ReliableRemoteStore, "ReliableRemoteStore");
