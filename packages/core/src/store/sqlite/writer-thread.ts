import type { createBatchWriter, SerializedBatch } from "./batch-writer.js";

/** What the app's thread gives the writer thread at start. */
export interface WriterThreadData {
  path: string;
  /**
   * Int32Array over it: [0] the sequence number of the last batch committed (or given up on: it
   * failed for a reason of its own). Stored only after the reply saying so was posted, so that an
   * exit that sees it also finds the reply (which batches failed, which traces were set aside).
   */
  progress: SharedArrayBuffer;
  /** A commit waits this long for more batches to join it, unless a flush is asked for. */
  commitIntervalMs: number;
  /** ... or until this many characters of batches are waiting. */
  maxCommitChars: number;
  /** How long one attempt waits for a write lock another connection holds (SQLite's busy timeout). */
  lockTimeoutMs: number;
  /** SQLite's `wal_autocheckpoint`, in pages. */
  autocheckpointPages: number;
  /** Where replies go: a port of their own, so that an exit can read them synchronously. */
  replies: import("node:worker_threads").MessagePort;
}

/** Messages to the writer thread. */
export type ToWriter =
  | { batches: Array<{ seq: number; payload: SerializedBatch; chars: number }> }
  | { flush: true }
  | { close: true };

/**
 * Messages from the writer thread: everything up to `committed` is done; `failed` are not stored
 * (a batch SQLite refused; never one that only met another connection's write lock);
 * `setAside` holds traces whose id was stored already, for the app's thread to merge or replace.
 */
export interface FromWriter {
  committed: number;
  failed: number[];
  error?: string | undefined;
  setAside: Array<{ seq: number; batch: SerializedBatch }>;
}

/**
 * The writer thread's code (sent as source text with {@link createBatchWriter}, so it references
 * nothing outside its body). Batches that arrive within `commitIntervalMs` of each other share one
 * transaction: each commit rewrites the last page of every B-tree it touched and appends a WAL
 * frame header, so one trace per transaction would write tens of KiB for a span of a few hundred
 * bytes. A batch that fails is retried alone, so one bad trace costs only its own batch.
 *
 * Another connection holding the write lock past `lockTimeoutMs` (SQLITE_BUSY) is not a failure
 * of the batches: they stay, in order, and are tried again after `commitIntervalMs`. Reporting them
 * failed would lose them although the file only was busy (a long transaction of another process);
 * waiting keeps the hand-off full instead, so the export queue holds back and counts its overflow,
 * and an exit that cannot wait longer writes them on the app's thread.
 */
export function writerThreadMain(makeWriter: typeof createBatchWriter): void {
  const { parentPort, workerData } = process.getBuiltinModule(
    "node:worker_threads",
  ) as typeof import("node:worker_threads");
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite");
  const data = workerData as WriterThreadData;
  const port = parentPort as import("node:worker_threads").MessagePort;
  const progress = new Int32Array(data.progress);
  const db = new DatabaseSync(data.path, { timeout: data.lockTimeoutMs });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(`PRAGMA wal_autocheckpoint = ${data.autocheckpointPages}`);
  const write = makeWriter(db);
  type Waiting = { seq: number; payload: SerializedBatch; chars: number };
  let waiting: Waiting[] = [];
  let waitingChars = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  let setAside: Array<{ seq: number; batch: SerializedBatch }> = [];
  // SQLITE_BUSY and its extended codes: the lock is another connection's, the batch is fine
  const isBusy = (e: unknown): boolean => ((e as { errcode?: unknown } | null)?.errcode as number) % 256 === 5;
  const inTransaction = (batches: Waiting[]): void => {
    db.exec("BEGIN IMMEDIATE");
    const aside: typeof setAside = [];
    try {
      for (const b of batches) {
        const left = write(b.payload, false);
        if (left) aside.push({ seq: b.seq, batch: left });
      }
      db.exec("COMMIT");
      setAside.push(...aside);
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
  };

  const commit = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (waiting.length === 0) return;
    const batches = waiting;
    waiting = [];
    waitingChars = 0;
    const failed: number[] = [];
    let error: string | undefined;
    /** Batches at the head of `batches` that are committed or given up on. */
    let done = 0;
    try {
      inTransaction(batches);
      done = batches.length;
    } catch (e) {
      if (!isBusy(e)) {
        for (const b of batches) {
          try {
            inTransaction([b]);
          } catch (err) {
            if (isBusy(err)) break;
            failed.push(b.seq);
            error = err instanceof Error ? err.message : String(err);
          }
          done++;
        }
      }
    }
    if (done < batches.length) {
      // the file is locked by another connection: kept, ahead of anything newer, and tried again
      waiting = batches.slice(done);
      for (const b of waiting) waitingChars += b.chars;
      // (not at once even with no interval: with no lock timeout either, that would spin)
      timer = setTimeout(commit, Math.max(data.commitIntervalMs, 10));
    }
    if (done === 0) return;
    const last = (batches[done - 1] as Waiting).seq;
    const reply: FromWriter = { committed: last, failed, error, setAside };
    setAside = [];
    // the reply first: an exit that sees the progress below reads the reply synchronously, and
    // must find which of these batches failed or were set aside, not take them all for written
    data.replies.postMessage(reply);
    Atomics.store(progress, 0, last);
    Atomics.notify(progress, 0);
  };

  port.on("message", (m: ToWriter) => {
    if ("batches" in m) {
      for (const b of m.batches) {
        waiting.push(b);
        waitingChars += b.chars;
      }
      if (waitingChars >= data.maxCommitChars) commit();
      else if (timer === undefined) timer = setTimeout(commit, data.commitIntervalMs);
      return;
    }
    commit();
    if ("close" in m) {
      // still locked: the app's thread wrote what is left before asking to close (drainSync)
      if (timer !== undefined) clearTimeout(timer);
      db.close();
      port.close();
    }
  });
}

/** The writer thread's full source, for `new Worker(source, { eval: true })`. */
export function writerThreadSource(makeWriter: typeof createBatchWriter): string {
  return `(${writerThreadMain.toString()})(${makeWriter.toString()});`;
}
