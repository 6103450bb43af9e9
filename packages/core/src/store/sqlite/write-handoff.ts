import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { Trace } from "../../entities/trace.js";
import { ConfigurationError, failedTracesOf, tracesNotStored } from "../../errors.js";
import { log } from "../../internal/log.js";
import { batchPerTrace, createBatchWriter, isBusyError, type SerializedBatch } from "./batch-writer.js";
import { Control, RingWriter, readRingFrame } from "./handoff-ring.js";
import { type PackedFrame, unpackFrame } from "./trace-records.js";
import { type FromWriter, type ToWriter, type WriterThreadData, writerThreadSource } from "./writer-thread.js";

/** Limits and pacing of the hand-off to the writer thread. */
export interface HandoffOptions {
  /**
   * Bytes of serialised traces (UTF-8) handed over and not yet committed, at most (default 8 MiB):
   * the size of the shared-memory ring the writer thread reads from (handoff-ring.ts). When it is
   * full `logTraces` refuses new batches with `HandoffFullError`; the export queue then holds them
   * within its own bounds and drops (and counts, `getExportStats().overflowed`) what does not fit:
   * when the app produces faster than the disk takes, memory stays bounded. A single trace larger
   * than the whole ring goes alone, as a message to the writer thread, once the ring is empty.
   */
  maxPendingBytes?: number;
  /** @deprecated The former name of {@link maxPendingBytes} (the bound is in bytes now). */
  maxPendingChars?: number;
  /**
   * How long the writer thread lets batches gather into one transaction at a low rate (default
   * 100 ms): at most one commit per interval, and a batch after a quiet spell at once. Under load
   * (the last commit held at least 1 MiB) it commits again as soon as 1 MiB waits, and the end of
   * a burst 10 ms after the batches stop coming.
   */
  commitIntervalMs?: number;
  /**
   * How long one attempt of the writer thread waits for a write lock another connection holds
   * (default 10 s). The batches are then tried again, never given up on because the file was
   * busy: meanwhile the hand-off fills, and the export queue holds back and counts its overflow.
   */
  lockTimeoutMs?: number;
}

/**
 * Thrown by `logTraces` when the hand-off is full; the export queue holds the traces back. When the
 * store took the first part of the batch, `accepted` settles once that part is committed and
 * `rest` holds the traces it did not take.
 */
export class HandoffFullError extends Error {
  readonly code = "TRACEWRIGHT_HANDOFF_FULL";
  constructor(
    readonly traces: number,
    /** The hand-off's bound in bytes: a caller that offers batches again can keep them below it. */
    readonly limit: number,
    /** The traces not taken (all of them when absent). */
    readonly rest?: readonly Trace[],
    /** Settles once the traces taken (`acceptedCount`) are committed. */
    readonly accepted?: Promise<void>,
    readonly acceptedCount = 0,
  ) {
    super(`the embedded store's writer is ${limit} bytes behind; ${traces} trace(s) not taken`);
    this.name = "HandoffFullError";
  }
}

/**
 * True for a {@link HandoffFullError}, one thrown by another copy of core in the process too (told
 * by its code, not its class; a copy older than a field leaves that field absent).
 */
export function isHandoffFull(e: unknown): e is Partial<HandoffFullError> & { code: "TRACEWRIGHT_HANDOFF_FULL" } {
  return (e as { code?: unknown } | null)?.code === "TRACEWRIGHT_HANDOFF_FULL";
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

/**
 * The writer thread's scheduling priority, as a nice value: below the app's (0), so that when the
 * CPU is saturated the app's own work goes first and the hand-off absorbs the difference (what
 * does not fit is counted, `getExportStats().overflowed`); with a core to spare it changes nothing.
 */
const WRITER_NICENESS = 5;

interface Pending {
  resolve(): void;
  reject(e: Error): void;
  /** How many traces the batch holds. */
  traces: number;
  /** Kept only for a batch too large for the ring (it travels as a message): its frame. */
  payload?: PackedFrame;
}

/** How long an exit waits for the reply of a batch the writer thread is committing this instant. */
const REPLY_WAIT_MS = 1000;

/** How many traces serialised batches hold. */
const tracesIn = (batches: readonly SerializedBatch[]): number =>
  batches.reduce(
    (n, b) => n + (typeof b.records === "string" ? (JSON.parse(b.records) as unknown[]) : b.records).length,
    0,
  );

/** A frame (trace-records.ts `packTraces`) as the batch writer takes it. */
const batchOf = unpackFrame;

/**
 * The app thread's end of the embedded store's writer thread: each batch is copied into a ring of
 * shared memory (handoff-ring.ts), committed by the thread in group transactions, and
 * acknowledged twice — a message that settles the batch's promise, and a shared counter that an
 * exit can wait on synchronously (`Atomics.wait`), since no message is delivered during `exit` or
 * a signal handler.
 *
 * Durability at exit: {@link drainSync} asks for a commit and waits for the counter; the batches
 * the thread has not committed by the deadline are still in the ring, and the caller writes them
 * with `fallback` (a trace written twice replaces itself, so a late commit by the thread is
 * harmless). A writer thread that dies leaves its batches in the ring the same way.
 */
export class WriteHandoff {
  private worker: Worker | undefined;
  private broken = false;
  private ring: RingWriter | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** Batches too large for the ring, handed over (as messages) and not yet committed. */
  private largePending = 0;
  /** Set once the writer was asked to commit early because the ring fills; cleared by its reply. */
  private askedEarly = false;
  private readonly maxPendingBytes: number;
  private readonly commitIntervalMs: number;
  private readonly lockTimeoutMs: number;

  constructor(
    private readonly path: string,
    /**
     * Writes payloads on the calling thread (exit, or a writer thread that could not start); throws
     * when some traces are not stored, and then tells how many of each payload's in `perBatch`
     * (when it can: not for a lock another connection held).
     */
    private readonly fallback: (payloads: SerializedBatch[], perBatch?: number[]) => void,
    options: HandoffOptions = {},
  ) {
    const legacy = wholeNumberOption("maxPendingChars", options.maxPendingChars, 8 * 1024 * 1024, 1);
    this.maxPendingBytes = wholeNumberOption("maxPendingBytes", options.maxPendingBytes, legacy, 1);
    this.commitIntervalMs = wholeNumberOption("commitIntervalMs", options.commitIntervalMs, 100, 0);
    this.lockTimeoutMs = wholeNumberOption("lockTimeoutMs", options.lockTimeoutMs, 10_000, 0);
  }

  /** Batches handed over and not yet committed. */
  get pendingBatches(): number {
    return this.pending.size;
  }

  private replies: MessagePort | undefined;

  private start(ring: RingWriter): Worker {
    const channel = new MessageChannel();
    const data: WriterThreadData = {
      replies: channel.port2,
      path: this.path,
      control: ring.control.buffer as SharedArrayBuffer,
      ring: ring.data.buffer as SharedArrayBuffer,
      commitIntervalMs: this.commitIntervalMs,
      lockTimeoutMs: this.lockTimeoutMs,
      maxCommitBytes: 4 * 1024 * 1024,
      autocheckpointPages: 4000,
      niceness: WRITER_NICENESS,
    };
    const worker = new Worker(
      writerThreadSource(createBatchWriter, readRingFrame, unpackFrame, batchPerTrace, isBusyError),
      {
        eval: true,
        workerData: data,
        transferList: [channel.port2],
      },
    );
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

  /** The writer thread failed: what it had not committed is written here, and so is everything after. */
  private fail(e: unknown): void {
    if (!this.broken) log.error("the embedded store's writer thread failed; writing on the app's thread instead", e);
    this.broken = true;
    this.worker = undefined;
    // first the replies it posted before it died: they come on a port of their own, in no order
    // with this event, and only they say which committed batches were set aside (traces stored
    // already, to merge here) or failed; their frames are no longer in the ring
    this.readReplies();
    const frames = this.ring?.uncommitted() ?? [];
    const held = new Map(this.pending);
    this.pending.clear();
    this.largePending = 0;
    for (const f of frames) {
      const p = held.get(f.seq);
      held.delete(f.seq);
      const frame = f.strings.length > 0 ? f : p?.payload;
      const batch = frame && batchOf(frame);
      if (!batch) continue;
      try {
        this.fallback([batch]);
        p?.resolve();
      } catch (err) {
        p?.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    // committed before the thread died, its reply lost with it
    for (const [, p] of held) p.resolve();
  }

  /** Settles what the writer thread's replies waiting on their port say, now (no event needed). */
  private readReplies(): void {
    for (
      let m = this.replies && receiveMessageOnPort(this.replies);
      m;
      m = this.replies && receiveMessageOnPort(this.replies)
    ) {
      this.settle(m.message as FromWriter);
    }
  }

  private settle(m: FromWriter): void {
    this.askedEarly = false;
    // how many of a batch's traces SQLite refused (the others are stored)
    const failed = m.failed.length > 0 ? new Map(m.failed.map((seq, i) => [seq, m.failedTraces?.[i]])) : undefined;
    let setAside: Map<number, SerializedBatch[]> | undefined;
    for (const a of m.setAside) {
      setAside ??= new Map();
      const list = setAside.get(a.seq);
      if (list) list.push(a.batch);
      else setAside.set(a.seq, [a.batch]);
    }
    for (const [seq, p] of this.pending) {
      if (seq > m.committed) break;
      this.pending.delete(seq);
      if (p.payload) this.largePending--;
      const aside = setAside?.get(seq);
      // the traces not stored: those the writer thread refused, and those set aside that could
      // not be merged here (one batch may have both: neither count hides the other)
      let notStored = 0;
      let why: unknown;
      if (aside) {
        try {
          // traces stored already (a re-log, another process's part of the trace): merged here
          this.fallback(aside);
        } catch (e) {
          notStored += failedTracesOf(e, tracesIn(aside));
          why = e;
        }
      }
      if (failed?.has(seq)) {
        const told = failed.get(seq);
        notStored += told === undefined || told < 0 || told > p.traces ? p.traces : told;
        why ??= new Error(m.error ?? "the embedded store could not write the batch");
      }
      if (why === undefined) {
        p.resolve();
        continue;
      }
      p.reject(tracesNotStored(Math.min(notStored, p.traces), p.traces, why));
    }
    if (this.pending.size === 0) this.worker?.unref();
  }

  /**
   * Whether a batch of about `bytes` (UTF-16 units of its strings) may fit now: checked before
   * packing it, so that a full hand-off costs no serialising. An empty ring takes anything (a
   * trace larger than the ring goes alone).
   */
  hasRoomFor(bytes: number): boolean {
    if (this.broken || !this.ring) return true;
    // a batch larger than the ring fills the hand-off on its own until committed
    if (this.largePending > 0) return false;
    return this.ring.empty || this.ring.freeBytes() > bytes;
  }

  /**
   * How large a frame a large batch is cut into (estimated size): a quarter of the ring, at most
   * 64 KiB, so that a frame being joined and encoded stays in the cache (bench:core: the store's
   * main-thread cost per trace 1.43 µs with 256 KiB frames, 1.31-1.35 µs with 64 KiB; one frame of
   * 1.3 MB: 2.1 µs).
   */
  get chunkBytes(): number {
    return Math.min(64 * 1024, this.maxPendingBytes >> 2);
  }

  /** True when nothing handed over waits for the writer thread. */
  get isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** The hand-off's bound, in bytes. */
  get limit(): number {
    return this.maxPendingBytes;
  }

  /**
   * Hands one batch over, as the frame `packTraces` made of it; resolves once it is committed.
   * Throws {@link HandoffFullError} when full.
   */
  write(frame: PackedFrame, traces: number): Promise<void> {
    if (this.broken) {
      this.fallback([batchOf(frame)]);
      return Promise.resolve();
    }
    this.ring ??= new RingWriter(this.maxPendingBytes);
    const ring = this.ring;
    if (!this.worker) {
      try {
        this.worker = this.start(ring);
      } catch (e) {
        // no worker threads here (a restricted runtime): the store still works, on this thread
        this.fail(e);
        this.fallback([batchOf(frame)]);
        return Promise.resolve();
      }
    }
    const seq = this.seq + 1;
    // a batch larger than the ring is the only one in the hand-off until committed
    let written = this.largePending > 0 ? "full" : ring.tryWrite(seq, frame.strings, frame.nums);
    let large: PackedFrame | undefined;
    if (written === "too-large") {
      // larger than the whole ring: it goes alone (into an empty ring) as a message, the ring
      // holding its place in the order; it is kept here until committed, for the exit path
      written = ring.empty ? ring.tryWrite(seq, []) : "full";
      if (written === "written") {
        // the frame's strings as they are: the writer thread unpacks them, as it does the ring's
        large = frame;
        this.largePending++;
        this.worker.postMessage({ seq, frame } satisfies ToWriter);
      }
    }
    if (written !== "written") throw new HandoffFullError(traces, this.maxPendingBytes);
    this.seq = seq;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(seq, large ? { resolve, reject, traces, payload: large } : { resolve, reject, traces });
    });
    if (this.pending.size === 1) this.worker.ref(); // a flush awaited with nothing else alive must still end
    ring.wake();
    if (!this.askedEarly && ring.fullerThan(0.5)) {
      // filling faster than the commit interval empties it: commit now rather than at the interval
      this.askedEarly = true;
      this.worker.postMessage({ flush: true } satisfies ToWriter);
    }
    return done;
  }

  /** Asks the writer thread to commit what it holds now instead of at the end of its interval. */
  flushSoon(): void {
    if (this.worker && this.pending.size > 0) this.worker.postMessage({ flush: true } satisfies ToWriter);
  }

  /**
   * Makes everything handed over durable before returning: waits up to `timeoutMs` for the writer
   * thread, then writes what it has not committed with the fallback. For exits and `close()`.
   */
  drainSync(timeoutMs: number): void {
    if (this.pending.size === 0 || !this.ring) return;
    const last = this.seq;
    this.flushSoon();
    const control = this.ring.control;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(control, Control.PROGRESS);
      const left = deadline - Date.now();
      if (done >= last || left <= 0 || !this.worker) break;
      Atomics.wait(control, Control.PROGRESS, done, left);
    }
    // no message is delivered during an exit: read the thread's replies here
    this.readReplies();
    const frames = this.ring.uncommitted();
    // A batch pending here, not in the ring and with no reply read: the thread committed it and
    // freed its frame, and is between that and posting its reply and progress (writer-thread.ts
    // commit: microseconds of synchronous code). Resolved blindly, a part it set aside for a merge
    // would be lost and a failure taken for written: its reply is waited for, briefly.
    const inRing = new Set(frames.map((f) => f.seq));
    let unreplied = 0;
    for (const seq of this.pending.keys()) if (!inRing.has(seq)) unreplied = Math.max(unreplied, seq);
    if (unreplied > 0) {
      const until = Date.now() + REPLY_WAIT_MS;
      for (let done = Atomics.load(control, Control.PROGRESS); done < unreplied && Date.now() < until; ) {
        Atomics.wait(control, Control.PROGRESS, done, Math.max(1, until - Date.now()));
        done = Atomics.load(control, Control.PROGRESS);
      }
      this.readReplies();
    }
    // still in the ring: written here (the thread may commit them too, later: a replacement)
    const late: SerializedBatch[] = [];
    const lateSeqs: number[] = [];
    for (const f of frames) {
      const p = this.pending.get(f.seq);
      if (!p) continue;
      const frame = f.strings.length > 0 ? f : p.payload;
      if (!frame) continue;
      late.push(batchOf(frame));
      lateSeqs.push(f.seq);
    }
    let failure: unknown;
    const perBatch: number[] = [];
    try {
      if (late.length > 0) this.fallback(late, perBatch);
    } catch (e) {
      // (the traces it could store are stored: it throws once it has written the rest)
      failure = e;
      // each batch's promise says what became of its own traces (the export queue counts them),
      // not only the caller's error: all of them when the fallback could not tell
      // (the reason itself: the fallback's own error counts every batch's traces)
      const why = (e as { cause?: unknown } | null)?.cause ?? e;
      for (let k = 0; k < lateSeqs.length; k++) {
        const seq = lateSeqs[k] as number;
        const p = this.pending.get(seq);
        if (!p) continue;
        const told = perBatch[k];
        if (told === 0) continue;
        const n = told === undefined || told > p.traces ? p.traces : told;
        this.pending.delete(seq);
        p.reject(tracesNotStored(n, p.traces, why));
      }
    }
    for (const [, p] of this.pending) p.resolve();
    this.pending.clear();
    this.largePending = 0;
    this.worker?.unref();
    if (failure !== undefined) throw failure;
  }

  /** Drains (see {@link drainSync}) and lets the writer thread close its connection and end. */
  close(timeoutMs: number): void {
    try {
      this.drainSync(timeoutMs);
    } finally {
      // (a trace SQLite refused while draining is reported; the thread is closed all the same)
      this.worker?.postMessage({ close: true } satisfies ToWriter);
      this.worker = undefined;
    }
  }
}
