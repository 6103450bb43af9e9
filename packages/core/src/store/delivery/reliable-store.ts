import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import type { Assessment } from "../../entities/assessment.js";
import { Trace } from "../../entities/trace.js";
import { deliveryStats } from "../../internal/delivery-stats.js";
import { log } from "../../internal/log.js";
import type { DeleteTracesOptions, SearchTracesOptions, TraceStore } from "../trace-store.js";
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
  /** First retry delay; doubles per failure, with jitter, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** The HTTP status of a failed delivery, when there was a response. */
function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; code?: unknown } | null;
  if (typeof e?.status === "number" && e.status > 0) return e.status;
  if (typeof e?.code === "number" && e.code >= 100) return e.code;
  return undefined;
}

/** Network errors, timeouts, 408, 429 and 5xx are worth retrying; other 4xx are not. */
function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/** A trace the destination already has: delivered, as far as we are concerned. */
function isAlreadyStored(error: unknown): boolean {
  const e = error as { errorCode?: unknown; message?: unknown } | null;
  return e?.errorCode === "RESOURCE_ALREADY_EXISTS" || /already exists/i.test(String(e?.message ?? ""));
}

/** The default spool directory of a destination. */
export function defaultSpoolDir(destination: string): string {
  const base = process.env.TRACEWRIGHT_SPOOL_DIR ?? resolve(".tracewright", "spool");
  return join(base, createHash("sha256").update(destination).digest("hex").slice(0, 16));
}

/**
 * Delivers traces to a remote destination without losing them: each trace is first written to a
 * crash-safe on-disk spool, then sent in order; a network error, timeout, 429 or 5xx leaves it
 * spooled and retries later with exponential backoff and jitter (honouring Retry-After), also
 * after the process restarts. A 4xx refusal is logged once with the server's message and
 * dropped. Never throws into the caller's code; reads go straight to the destination.
 */
export class ReliableRemoteStore implements TraceStore {
  private readonly spool: TraceSpool;
  private draining: Promise<void> | null = null;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly batchSize: number;

  constructor(
    readonly destination: TraceStore,
    destinationKey: string,
    options: DeliveryOptions = {},
  ) {
    this.spool = new TraceSpool(options.spoolDir ?? defaultSpoolDir(destinationKey), {
      maxTraces: options.maxSpoolTraces ?? 100_000,
      maxBytes: options.maxSpoolBytes ?? 256 * 1024 * 1024,
    });
    this.batchSize = Math.max(1, options.batchSize ?? 1);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    // traces left by an earlier process are delivered now, in the background
    if (this.spool.list().length > 0) this.schedule(0);
  }

  /** Traces waiting in the spool. */
  pending(): number {
    return this.spool.traceCount();
  }

  /** One fsynced spool file per batch: the only I/O on the export path while a destination is down. */
  private enqueue(traces: Trace[]): void {
    if (traces.length === 0) return;
    const kept = this.spool.add(traces.map((t) => t.toDict()));
    deliveryStats.spooled += kept;
    if (kept < traces.length) {
      deliveryStats.dropped += traces.length - kept;
      log.warnOnce("spool-full", `trace spool ${this.spool.dir} is full: dropping traces; see getExportStats()`);
    }
  }

  logTraces(traces: Trace[]): Promise<void> {
    this.enqueue(traces);
    return this.drain();
  }

  logTracesSync(traces: Trace[]): void {
    this.enqueue(traces);
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private backoff(error: unknown): number {
    const retryAfter = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof retryAfter === "number") return retryAfter;
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(this.failures - 1, 20));
    return exp / 2 + Math.random() * (exp / 2);
  }

  /** Sends what is spooled, oldest first, until the spool is empty or the destination fails. */
  drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    // batches spooled while a pass runs are picked up by the next pass
    for (let files = this.spool.list(); files.length > 0; files = this.spool.list()) {
      if (!(await this.sendFiles(files))) return;
    }
  }

  /** Sends the given spool files in order; false when the destination failed (retry scheduled). */
  private async sendFiles(files: string[]): Promise<boolean> {
    for (const file of files) {
      const items = this.spool.read(file);
      if (items === null) continue;
      let remaining = items;
      while (remaining.length > 0) {
        const batch = remaining.slice(0, this.batchSize);
        let traces: Trace[];
        try {
          traces = batch.map((d) => Trace.fromDict(d as Record<string, unknown>));
        } catch (e) {
          log.error(`dropping ${batch.length} unreadable spooled trace(s) in ${file}`, e);
          deliveryStats.dropped += batch.length;
          remaining = remaining.slice(batch.length);
          continue;
        }
        try {
          await this.destination.logTraces(traces);
        } catch (error) {
          if (!isAlreadyStored(error)) {
            if (isRetryable(error)) {
              // keep what is left, in place, and try again later
              if (remaining.length !== items.length) this.spool.replace(file, remaining);
              this.failures++;
              deliveryStats.retried++;
              log.warnOnce("delivery-retry", "trace destination unavailable, retrying in the background", error);
              this.schedule(this.backoff(error));
              return false;
            }
            log.error(`${batch.length} trace(s) refused by the destination; dropped`, error);
            deliveryStats.dropped += batch.length;
            remaining = remaining.slice(batch.length);
            continue;
          }
        }
        deliveryStats.sent += batch.length;
        this.failures = 0;
        remaining = remaining.slice(batch.length);
      }
      this.spool.remove(file);
    }
    return true;
  }

  getTrace(traceId: string) {
    return this.destination.getTrace(traceId);
  }
  searchTraces(options: SearchTracesOptions) {
    return this.destination.searchTraces(options);
  }
  deleteTraces(options: DeleteTracesOptions) {
    return this.destination.deleteTraces(options);
  }
  setTraceTag(traceId: string, key: string, value: string) {
    return this.destination.setTraceTag(traceId, key, value);
  }
  deleteTraceTag(traceId: string, key: string) {
    return this.destination.deleteTraceTag(traceId, key);
  }
  logAssessment(assessment: Assessment) {
    return this.destination.logAssessment(assessment);
  }
  getExperimentByName(name: string) {
    return this.destination.getExperimentByName(name);
  }
  createExperiment(name: string) {
    return this.destination.createExperiment(name);
  }
  listExperiments() {
    return this.destination.listExperiments?.() ?? [];
  }
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.destination.close?.();
  }
}
