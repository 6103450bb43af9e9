import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { ConfigurationError } from "../../errors.js";
import { log } from "../../internal/log.js";
import { createBatchWriter, type SerializedBatch } from "./batch-writer.js";
import { batchChars } from "./trace-records.js";
import { type FromWriter, type ToWriter, type WriterThreadData, writerThreadSource } from "./writer-thread.js";

/** Limits and pacing of the hand-off to the writer thread. */
export interface HandoffOptions {
  /**
   * Characters of serialised traces handed over and not yet committed, at most (default 32 Mi).
   * Beyond it `logTraces` refuses new batches with `HandoffFullError`; the export queue then holds
   * them within its own bounds and drops (and counts, `getExportStats().overflowed`) what does not
   * fit: when the app produces faster than the disk takes, memory stays bounded.
   */
  maxPendingChars?: number;
  /** How long the writer thread lets batches gather into one transaction (default 100 ms). */
  commitIntervalMs?: number;
  /**
   * How long one attempt of the writer thread waits for a write lock another connection holds
   * (default 10 s). The batches are then tried again, never given up on because the file was
   * busy: meanwhile the hand-off fills, and the export queue holds back and counts its overflow.
   */
  lockTimeoutMs?: number;
}

/** Thrown by `logTraces` when the hand-off is full; the export queue holds the traces back. */
export class HandoffFullError extends Error {
  readonly code = "TRACEWRIGHT_HANDOFF_FULL";
  constructor(
    readonly traces: number,
    limit: number,
  ) {
    super(`the embedded store's writer is ${limit} characters behind; ${traces} trace(s) dropped`);
    this.name = "HandoffFullError";
  }
}

/** An option's value, or its default; a value that is not a whole number of at least `min` is refused. */
function wholeNumberOption(name: keyof HandoffOptions, value: unknown, defaultValue: number, min: number): number {
  if (value === undefined) return defaultValue;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigurationError(
      `SqliteTraceStore option "${name}" must be a whole number of at least ${min}; got ${typeof value === "number" ? value : typeof value}`,
    );
  }
  return value;
}

/** How long batches gather on the app's thread before one message takes them to the writer. */
const POST_INTERVAL_MS = 10;

interface Pending {
  chars: number;
  resolve(): void;
  reject(e: Error): void;
}

/**
 * The app thread's end of the embedded store's writer thread: batches are posted as JSON strings,
 * committed by the thread in group transactions, and acknowledged twice — a message that settles
 * the batch's promise, and a shared counter that an exit can wait on synchronously
 * (`Atomics.wait`), since no message is delivered during `exit` or a signal handler.
 *
 * Durability at exit: {@link drainSync} asks for a commit and waits for the counter; batches the
 * thread has not committed by the deadline are written by the caller with `fallback` (a trace
 * written twice replaces itself, so a late commit by the thread is harmless).
 */
export class WriteHandoff {
  private worker: Worker | undefined;
  private broken = false;
  private readonly progress = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;
  private readonly pending = new Map<number, Pending & { payload: SerializedBatch }>();
  private pendingChars = 0;
  /** Batches not yet posted to the thread (see {@link post}). */
  private outbox: Array<{ seq: number; payload: SerializedBatch; chars: number }> = [];
  private postTimer: NodeJS.Timeout | undefined;
  private readonly maxPendingChars: number;
  private readonly commitIntervalMs: number;
  private readonly lockTimeoutMs: number;

  constructor(
    private readonly path: string,
    /** Writes payloads on the calling thread (exit, or a writer thread that could not start). */
    private readonly fallback: (payloads: SerializedBatch[]) => void,
    options: HandoffOptions = {},
  ) {
    this.maxPendingChars = wholeNumberOption("maxPendingChars", options.maxPendingChars, 32 * 1024 * 1024, 1);
    this.commitIntervalMs = wholeNumberOption("commitIntervalMs", options.commitIntervalMs, 100, 0);
    this.lockTimeoutMs = wholeNumberOption("lockTimeoutMs", options.lockTimeoutMs, 10_000, 0);
  }

  /** Batches handed over and not yet committed. */
  get pendingBatches(): number {
    return this.pending.size;
  }

  private replies: MessagePort | undefined;

  private start(): Worker {
    const channel = new MessageChannel();
    const data: WriterThreadData = {
      replies: channel.port2,
      path: this.path,
      progress: this.progress.buffer as SharedArrayBuffer,
      commitIntervalMs: this.commitIntervalMs,
      lockTimeoutMs: this.lockTimeoutMs,
      maxCommitChars: 8 * 1024 * 1024,
      autocheckpointPages: 4000,
    };
    const worker = new Worker(writerThreadSource(createBatchWriter), {
      eval: true,
      workerData: data,
      transferList: [channel.port2],
    });
    worker.unref();
    this.replies = channel.port1;
    this.replies.on("message", (m: FromWriter) => this.settle(m));
    this.replies.unref();
    worker.on("error", (e) => this.fail(e));
    worker.on("exit", () => {
      if (this.worker === worker) this.worker = undefined;
      if (this.pending.size > 0) this.fail(new Error("the embedded store's writer thread stopped"));
    });
    return worker;
  }

  /** The writer thread failed: what it held is written here, and so is everything after. */
  private fail(e: unknown): void {
    if (!this.broken) log.error("the embedded store's writer thread failed; writing on the app's thread instead", e);
    this.broken = true;
    this.worker = undefined;
    const held = [...this.pending.entries()];
    this.pending.clear();
    this.outbox = [];
    this.pendingChars = 0;
    for (const [, p] of held) {
      try {
        this.fallback([p.payload]);
        p.resolve();
      } catch (err) {
        p.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private settle(m: FromWriter): void {
    const failed = new Set(m.failed);
    const setAside = new Map(m.setAside.map((a) => [a.seq, a.batch]));
    for (const [seq, p] of this.pending) {
      if (seq > m.committed) break;
      this.pending.delete(seq);
      this.pendingChars -= p.chars;
      if (failed.has(seq)) {
        p.reject(new Error(m.error ?? "the embedded store could not write the batch"));
        continue;
      }
      const aside = setAside.get(seq);
      try {
        // traces stored already (a re-log, another process's part of the trace): merged here
        if (aside) this.fallback([aside]);
        p.resolve();
      } catch (e) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    if (this.pending.size === 0) this.worker?.unref();
  }

  /** Throws {@link HandoffFullError} when the hand-off holds its limit already (checked before serialising). */
  assertRoom(traces: number): void {
    if (this.pendingChars >= this.maxPendingChars) throw new HandoffFullError(traces, this.maxPendingChars);
  }

  /** Hands a serialised batch over; resolves once it is committed. Throws {@link HandoffFullError} when full. */
  write(payload: SerializedBatch, traces: number): Promise<void> {
    if (this.broken) {
      this.fallback([payload]);
      return Promise.resolve();
    }
    // one batch larger than the whole limit still goes, alone: refusing it forever would lose it
    const chars = batchChars(payload);
    if (this.pending.size > 0 && this.pendingChars + chars > this.maxPendingChars) {
      throw new HandoffFullError(traces, this.maxPendingChars);
    }
    if (!this.worker) {
      try {
        this.worker = this.start();
      } catch (e) {
        // no worker threads here (a restricted runtime): the store still works, on this thread
        this.fail(e);
        this.fallback([payload]);
        return Promise.resolve();
      }
    }
    const seq = ++this.seq;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { chars, payload, resolve, reject });
    });
    if (this.pending.size === 1) this.worker.ref(); // a flush awaited with nothing else alive must still end
    this.pendingChars += chars;
    this.outbox.push({ seq, payload, chars });
    // one message per interval, not per batch: the app thread pays for a post (a structured
    // clone and a wake-up of the thread) about once per POST_INTERVAL_MS however busy it is
    if (this.postTimer === undefined) {
      this.postTimer = setTimeout(() => this.post(), POST_INTERVAL_MS);
      this.postTimer.unref();
    }
    return done;
  }

  /** Posts the batches gathered since the last post. */
  private post(): void {
    if (this.postTimer !== undefined) clearTimeout(this.postTimer);
    this.postTimer = undefined;
    if (this.outbox.length === 0 || !this.worker) return;
    const message: ToWriter = { batches: this.outbox };
    this.outbox = [];
    this.worker.postMessage(message);
  }

  /** Asks the writer thread to commit what it holds now instead of at the end of its interval. */
  flushSoon(): void {
    this.post();
    if (this.worker && this.pending.size > 0) this.worker.postMessage({ flush: true } satisfies ToWriter);
  }

  /**
   * Makes everything handed over durable before returning: waits up to `timeoutMs` for the writer
   * thread, then writes what it has not committed with the fallback. For exits and `close()`.
   */
  drainSync(timeoutMs: number): void {
    if (this.pending.size === 0) return;
    const last = this.seq;
    this.flushSoon();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(this.progress, 0);
      const left = deadline - Date.now();
      if (done >= last || left <= 0 || !this.worker) break;
      Atomics.wait(this.progress, 0, done, left);
    }
    // no message is delivered during an exit: read the thread's replies here
    for (
      let m = this.replies && receiveMessageOnPort(this.replies);
      m;
      m = this.replies && receiveMessageOnPort(this.replies)
    ) {
      this.settle(m.message as FromWriter);
    }
    const done = Atomics.load(this.progress, 0);
    const late: SerializedBatch[] = [];
    for (const [seq, p] of this.pending) {
      if (seq > done) late.push(p.payload);
    }
    if (late.length > 0) this.fallback(late);
    for (const [, p] of this.pending) p.resolve();
    this.pending.clear();
    this.outbox = [];
    this.pendingChars = 0;
    this.worker?.unref();
  }

  /** Drains (see {@link drainSync}) and lets the writer thread close its connection and end. */
  close(timeoutMs: number): void {
    this.drainSync(timeoutMs);
    this.worker?.postMessage({ close: true } satisfies ToWriter);
    this.worker = undefined;
  }
}
