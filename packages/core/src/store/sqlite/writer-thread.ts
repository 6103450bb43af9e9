import type { batchPerTrace, createBatchWriter, isBusyError, SerializedBatch } from "./batch-writer.js";
import type { readRingFrame } from "./handoff-ring.js";
import type { PackedFrame, unpackFrame } from "./trace-records.js";

/** What the app's thread gives the writer thread at start. */
export interface WriterThreadData {
  path: string;
  /**
   * The hand-off's control words (handoff-ring.ts `Control`). Its PROGRESS word is the sequence
   * number of the last batch committed (or given up on: it failed for a reason of its own), stored
   * only after the reply saying so was posted, so that an exit that sees it also finds the reply
   * (which batches failed, which traces were set aside).
   */
  control: SharedArrayBuffer;
  /** The ring the app's thread writes batches into. */
  ring: SharedArrayBuffer;
  /** A commit waits this long for more batches to join it, unless a flush is asked for. */
  commitIntervalMs: number;
  /** ... or until this many bytes of batches are waiting. */
  maxCommitBytes: number;
  /** How long one attempt waits for a write lock another connection holds (SQLite's busy timeout). */
  lockTimeoutMs: number;
  /** How much the writer thread lowers its priority below the app's (nice increment; Linux: this thread only). */
  niceness: number;
  /** SQLite's `wal_autocheckpoint`, in pages. */
  autocheckpointPages: number;
  /** Where replies go: a port of their own, so that an exit can read them synchronously. */
  replies: import("node:worker_threads").MessagePort;
}

/**
 * Messages to the writer thread. Batches come through the ring, except one too large for it: its
 * frame in the ring is empty, and the batch comes as a message.
 */
export type ToWriter = { flush: true } | { close: true } | { seq: number; frame: PackedFrame };

/**
 * Messages from the writer thread: everything up to `committed` is done; `failed` are the batches
 * with traces not stored (SQLite refused them; never only another connection's write lock), and
 * `failedTraces[i]` how many of batch `failed[i]`'s traces that is (the others are stored; -1: all);
 * `setAside` holds traces whose id was stored already, for the app's thread to merge or replace
 * (a batch may have several entries).
 */
export interface FromWriter {
  committed: number;
  failed: number[];
  failedTraces: number[];
  error?: string | undefined;
  setAside: Array<{ seq: number; batch: SerializedBatch }>;
}

/**
 * The writer thread's code (sent as source text with {@link createBatchWriter},
 * {@link readRingFrame} and {@link unpackFrame}, so it references nothing outside its body). It
 * reads batches from the ring and builds each span's stored JSON from its packed form. Commits
 * are at most one per `commitIntervalMs`, each taking every batch waiting: each commit rewrites
 * the last page of every B-tree it touched and appends a WAL frame header, so one trace per
 * transaction would write tens of KiB for a span of a few hundred bytes. A batch that arrives
 * after a quiet spell commits at once. A batch that fails is retried alone, and if it still fails
 * its traces one by one: one bad trace costs only itself. Only once a batch is committed does its
 * space in the ring become free: until then the app's thread can read it back (an exit that
 * cannot wait, a thread that died).
 *
 * Another connection holding the write lock past `lockTimeoutMs` (SQLITE_BUSY) is not a failure
 * of the batches: they stay, in order, and are tried again after `commitIntervalMs`. Reporting them
 * failed would lose them although the file only was busy (a long transaction of another process);
 * waiting keeps the hand-off full instead, so the export queue holds back and counts its overflow,
 * and an exit that cannot wait longer writes them on the app's thread.
 */
export function writerThreadMain(
  makeWriter: typeof createBatchWriter,
  readFrame: typeof readRingFrame,
  unpack: typeof unpackFrame,
  perTrace: typeof batchPerTrace,
  isBusy: typeof isBusyError,
): void {
  const { parentPort, workerData } = process.getBuiltinModule(
    "node:worker_threads",
  ) as typeof import("node:worker_threads");
  const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite");
  const data = workerData as WriterThreadData;
  const port = parentPort as import("node:worker_threads").MessagePort;
  // the control words' indexes (handoff-ring.ts Control; literal here: this code is sent as text)
  const PROGRESS = 0;
  const HEAD = 1;
  const TAIL = 2;
  const USED = 3;
  const SLEEPING = 4;
  const control = new Int32Array(data.control);
  const ringBytes = Buffer.from(data.ring);
  const ringWords = new Int32Array(data.ring);
  try {
    // Background work yields to the app: on a busy machine the app's threads (and the servers it
    // talks to) go first, and a commit of a few milliseconds cannot stall a request's I/O. On
    // Linux a thread's nice value is its own, so this lowers this thread only; elsewhere it may
    // lower the process or be refused, in which case the thread keeps the default priority.
    if (process.platform === "linux") {
      const os = process.getBuiltinModule("node:os") as typeof import("node:os");
      // relative to the app's own priority (a thread starts with its process's)
      os.setPriority(Math.min(19, os.getPriority() + data.niceness));
    }
  } catch {
    // not permitted here: the default priority
  }
  const db = new DatabaseSync(data.path, { timeout: data.lockTimeoutMs });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec(`PRAGMA wal_autocheckpoint = ${data.autocheckpointPages}`);
  const write = makeWriter(db);
  /**
   * A batch in the ring (at `at`), or arrived as a message (`payload`): `bytes` of the ring are
   * freed, and the tail moves to `next`, once it is done. A ring batch is unpacked only as its
   * transaction writes it, and dropped right after: a commit's batches, unpacked all at once, were
   * megabytes of strings alive across the whole transaction, copied by each young-generation
   * collection and promoted, which cost this thread major collections (bench:store).
   */
  type Waiting = { seq: number; at: number; payload: SerializedBatch | undefined; bytes: number; next: number };
  let waiting: Waiting[] = [];
  let waitingBytes = 0;
  /** Where the next frame to read starts. */
  let readAt = Atomics.load(control, TAIL);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  /** When the last commit began (performance.now()): commits are at most one per interval. */
  let lastCommit = Number.NEGATIVE_INFINITY;
  /**
   * Set while the app hands over more than a quarter of a full commit between two commits: the
   * writer then commits again as soon as that much waits, not at the interval (nor when the app's
   * thread asks, once the ring is half full: bench:store's ingest found this thread idle a third
   * of the time, waiting to be asked), and what is left when the frames stop coming soon after.
   * Meanwhile it sleeps on the ring, woken by each frame. It lasts a commit interval past the last
   * commit that held that much: the commit of a burst's tail holds less by its nature, and had it
   * ended the load, the next burst would wait out the interval before its first commit (a test of
   * this flaked under CI load, where the burst was committed in more, smaller parts).
   */
  let underLoad = false;
  /** When the last commit of at least a quarter of a full commit began. */
  let lastLoadCommit = Number.NEGATIVE_INFINITY;
  const loadCommitBytes = data.maxCommitBytes >> 2;
  /** Under load, what waits when frames stop coming is committed after this long. */
  const LOAD_TAIL_MS = 10;
  /** How long what waits may gather before it commits: the rest of the interval, soon under load. */
  const commitDelay = (): number => {
    const wait = Math.max(0, lastCommit + data.commitIntervalMs - performance.now());
    return underLoad ? Math.min(wait, LOAD_TAIL_MS) : wait;
  };

  /** Batches too large for the ring, arrived as messages, until the ring's frame for them is read. */
  const byMessage = new Map<number, SerializedBatch>();

  /** The head as last read: sleep waits for it to move. */
  let seenHead = readAt;
  const readAvailable = (): void => {
    const head = Atomics.load(control, HEAD);
    seenHead = head;
    while (readAt !== head) {
      const f = readFrame(ringBytes, ringWords, readAt, false);
      let payload: SerializedBatch | undefined;
      if (f.count === 0) {
        // its message is still on its way: read on once it has come (in order, so never past it)
        payload = byMessage.get(f.seq);
        if (!payload) return;
        byMessage.delete(f.seq);
      }
      waiting.push({ seq: f.seq, at: readAt, payload, bytes: f.bytes, next: f.next });
      readAt = f.next;
      // (a batch that came as a message has no size in the ring: its spans count a KiB each, so
      // that it still brings the size-triggered commit nearer)
      waitingBytes += f.bytes + (payload ? payload.contents.length * 1024 : 0);
    }
  };
  /** A waiting batch's traces, as the batch writer takes them. */
  const payloadOf = (b: Waiting): SerializedBatch => b.payload ?? unpack(readFrame(ringBytes, ringWords, b.at));

  let setAside: Array<{ seq: number; batch: SerializedBatch }> = [];
  /** Writes `batches` (their seq, and their traces) in one transaction; throws when it rolled back. */
  const inTransaction = (batches: Array<{ seq: number; payload: () => SerializedBatch }>): void => {
    db.exec("BEGIN IMMEDIATE");
    const aside: typeof setAside = [];
    try {
      for (const b of batches) {
        const left = write(b.payload(), false);
        if (left) aside.push({ seq: b.seq, batch: left });
      }
      db.exec("COMMIT");
      setAside.push(...aside);
    } catch (e) {
      // (first: key ids the transaction interned are gone with it, even if ROLLBACK throws)
      write.forget();
      db.exec("ROLLBACK");
      throw e;
    }
  };
  const ofWaiting = (b: Waiting) => ({ seq: b.seq, payload: () => payloadOf(b) });
  const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  /**
   * A batch that failed alone, written again one trace per transaction, so that the traces SQLite
   * refuses are the only ones lost. Returns how many failed; throws (committing no more) when
   * another connection's lock stops it: the batch is then tried again whole, and the traces
   * already committed come back set aside, stored already, for the app's thread to replace.
   */
  const traceByTrace = (b: Waiting, first: unknown): { failed: number; error: string } => {
    const ones = perTrace(payloadOf(b));
    if (ones.length < 2) return { failed: ones.length, error: messageOf(first) };
    let failed = 0;
    let error = messageOf(first);
    for (const one of ones) {
      try {
        inTransaction([{ seq: b.seq, payload: () => one }]);
      } catch (e) {
        if (isBusy(e)) throw e;
        failed++;
        error = messageOf(e);
      }
    }
    return { failed, error };
  };

  /** Commits what waits; false when another connection's lock kept some of it waiting. */
  const commit = (): boolean => {
    if (waiting.length === 0) return true;
    lastCommit = performance.now();
    const batches = waiting;
    if (waitingBytes >= loadCommitBytes) lastLoadCommit = lastCommit;
    underLoad = lastCommit - lastLoadCommit < data.commitIntervalMs;
    waiting = [];
    waitingBytes = 0;
    const failed: number[] = [];
    const failedTraces: number[] = [];
    let error: string | undefined;
    /** Batches at the head of `batches` that are committed or given up on. */
    let done = 0;
    try {
      inTransaction(batches.map(ofWaiting));
      done = batches.length;
    } catch (e) {
      if (!isBusy(e)) {
        for (const b of batches) {
          try {
            inTransaction([ofWaiting(b)]);
          } catch (err) {
            if (isBusy(err)) break;
            let lost: { failed: number; error: string };
            try {
              lost = traceByTrace(b, err);
            } catch (again) {
              if (isBusy(again)) break; // locked meanwhile: tried again whole
              // not even readable trace by trace: the whole batch (its size is the app's to tell)
              lost = { failed: -1, error: messageOf(again) };
            }
            if (lost.failed !== 0) {
              failed.push(b.seq);
              failedTraces.push(lost.failed);
              error = lost.error;
            }
          }
          done++;
        }
      }
    }
    if (done < batches.length) {
      // the file is locked by another connection: kept, ahead of anything newer, and tried again
      waiting = batches.slice(done);
      for (const b of waiting) waitingBytes += b.bytes;
    }
    if (done === 0) return false;
    const last = batches[done - 1] as Waiting;
    let freed = 0;
    for (let i = 0; i < done; i++) freed += (batches[i] as Waiting).bytes;
    // their space in the ring first: committed, they are needed no more, and the app's thread
    // may hand over more as soon as it hears of the commit
    Atomics.store(control, TAIL, last.next);
    Atomics.sub(control, USED, freed);
    const reply: FromWriter = { committed: last.seq, failed, failedTraces, error, setAside };
    setAside = [];
    // then the reply: an exit that sees the progress below reads the reply synchronously, and
    // must find which of these batches failed or were set aside, not take them all for written
    data.replies.postMessage(reply);
    Atomics.store(control, PROGRESS, last.seq);
    Atomics.notify(control, PROGRESS);
    return done === batches.length;
  };

  /** Waits for the app's thread to publish a frame; it wakes this thread only while this flag is set. */
  let asleep = false;
  // (Atomics.waitAsync is ES2024, newer than the library types this package compiles against)
  const waitAsync = (
    Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: unknown } }
  ).waitAsync;
  const sleep = (): void => {
    if (asleep) return;
    asleep = true;
    Atomics.store(control, SLEEPING, 1);
    const wait = waitAsync(control, HEAD, seenHead);
    if (wait.async) void (wait.value as Promise<unknown>).then(wake);
    else wake();
  };
  const wake = (): void => {
    asleep = false;
    Atomics.store(control, SLEEPING, 0);
    if (closed) return;
    readAvailable();
    if (waiting.length === 0) {
      sleep();
      return;
    }
    // at most one commit per interval, from the last one: after a quiet spell the batch commits
    // at once (each commit of a slow app is alone anyway, and waking the thread again for a
    // timer cost it more than the commit: measured ~450 µs of this thread's CPU per trace at
    // one trace per commit, ~26 µs of it SQLite's); under load, batches gather as before
    const wait = lastCommit + data.commitIntervalMs - performance.now();
    if (waitingBytes >= data.maxCommitBytes || wait <= 0 || (underLoad && waitingBytes >= loadCommitBytes)) tick();
    else {
      timer ??= setTimeout(tick, commitDelay());
      if (underLoad) sleep();
    }
  };
  /** Commits, then goes on: soon again while batches wait, else to sleep until the next frame. */
  const tick = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    readAvailable();
    const clear = commit();
    if (closed) return;
    readAvailable();
    if (waiting.length === 0) {
      sleep();
      return;
    }
    // under load, at once when enough waits (see underLoad), else woken by the frames to come
    if (clear && underLoad) {
      if (waitingBytes >= loadCommitBytes) timer = setTimeout(tick, 0);
      else {
        // the end of a burst, unless more comes soon
        timer = setTimeout(tick, Math.min(data.commitIntervalMs, LOAD_TAIL_MS));
        sleep();
      }
      return;
    }
    // (while locked, not at once even with no interval: with no lock timeout either, that would spin)
    timer = setTimeout(tick, clear ? data.commitIntervalMs : Math.max(data.commitIntervalMs, 10));
  };

  port.on("message", (m: ToWriter) => {
    if ("frame" in m) {
      byMessage.set(m.seq, unpack(m.frame));
      // as a frame of the ring would be: at once after a quiet spell, soon under load
      timer ??= setTimeout(tick, commitDelay());
      return;
    }
    if ("close" in m) {
      closed = true;
      readAvailable();
      commit();
      // still locked: the app's thread wrote what is left before asking to close (drainSync)
      if (timer !== undefined) clearTimeout(timer);
      db.close();
      port.close();
      return;
    }
    tick();
  });
  sleep();
}

/** The writer thread's full source, for `new Worker(source, { eval: true })`. */
export function writerThreadSource(
  makeWriter: typeof createBatchWriter,
  readFrame: typeof readRingFrame,
  unpack: typeof unpackFrame,
  perTrace: typeof batchPerTrace,
  isBusy: typeof isBusyError,
): string {
  return `(${writerThreadMain.toString()})(${[makeWriter, readFrame, unpack, perTrace, isBusy].map(String).join(", ")});`;
}
