import type { createBatchWriter, SerializedBatch } from "./batch-writer.js";

/** What the app's thread gives the writer thread at start. */
export interface WriterThreadData {
  path: string;
  /** Int32Array over it: [0] the sequence number of the last batch committed (or given up on). */
  progress: SharedArrayBuffer;
  /** A commit waits this long for more batches to join it, unless a flush is asked for. */
  commitIntervalMs: number;
  /** ... or until this many characters of batches are waiting. */
  maxCommitChars: number;
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
 * Messages from the writer thread: everything up to `committed` is done; `failed` are not stored;
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
 */
export function writerThreadMain(makeWriter: typeof createBatchWriter): void {
  const { parentPort, workerData } = process.getBuiltinModule(
    "node:worker_threads",
  ) as typeof import("node:worker_threads");
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite");
  const data = workerData as WriterThreadData;
  const port = parentPort as import("node:worker_threads").MessagePort;
  const progress = new Int32Array(data.progress);
  const db = new DatabaseSync(data.path, { timeout: 10_000 });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(`PRAGMA wal_autocheckpoint = ${data.autocheckpointPages}`);
  const write = makeWriter(db);
  let waiting: Array<{ seq: number; payload: SerializedBatch }> = [];
  let waitingChars = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  let setAside: Array<{ seq: number; batch: SerializedBatch }> = [];
  const inTransaction = (batches: Array<{ seq: number; payload: SerializedBatch }>): void => {
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
    try {
      inTransaction(batches);
    } catch {
      for (const b of batches) {
        try {
          inTransaction([b]);
        } catch (e) {
          failed.push(b.seq);
          error = e instanceof Error ? e.message : String(e);
        }
      }
    }
    const last = (batches[batches.length - 1] as { seq: number }).seq;
    Atomics.store(progress, 0, last);
    Atomics.notify(progress, 0);
    const reply: FromWriter = { committed: last, failed, error, setAside };
    setAside = [];
    data.replies.postMessage(reply);
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
      db.close();
      port.close();
    }
  });
}

/** The writer thread's full source, for `new Worker(source, { eval: true })`. */
export function writerThreadSource(makeWriter: typeof createBatchWriter): string {
  return `(${writerThreadMain.toString()})(${makeWriter.toString()});`;
}
