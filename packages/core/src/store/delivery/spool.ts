import { createHash } from "node:crypto";
import {
  closeSync,
  type Dirent,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { registerBackgroundWriter } from "../../internal/background-writers.js";
import { log } from "../../internal/log.js";
import { processSingleton } from "../../internal/process-state.js";

/** A batch file's name: `<time>-<pid>-<seq>-n<count>.json`, so names sort in arrival order. */
const NAME = /^(\d+)-(\d+)-([0-9a-z]+)-n(\d+)\.json$/;

/** Where unreadable batch files are moved, inside the spool directory. */
export const QUARANTINE_DIR = "quarantine";

/** One batch of traces waiting: a file in a spool directory, or (no directory writable) memory. */
interface Entry {
  name: string;
  /** Directory holding the file; undefined for a batch kept in memory only. */
  dir: string | undefined;
  count: number;
  bytes: number;
  /** The batch, when this process wrote it (saves reading it back), or for a memory batch. */
  items?: unknown[];
  /** Renamed as being delivered by this process (see {@link TraceSpool.load}). */
  claimed?: boolean;
}

/** What reading a batch gave. */
export type Loaded = { items: unknown[] } | { unreadable: string } | { gone: true };

/**
 * The spools whose batches are not all durable yet (written synchronously if the process exits),
 * shared by every copy of core in the process. `hooked`: the
 * `exit` listener is installed; `signalHooked`: so is the background writer that flushes them on
 * a signal's exit work (a flag of its own: a slot an older copy created has only `hooked`).
 */
const live = processSingleton("spool-live", () => ({
  spools: new Set<TraceSpool>(),
  hooked: false,
  signalHooked: false as boolean | undefined,
}));

/** True when process `pid` runs (a zombie, killed but not yet reaped by its parent, does not). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // Linux: the state follows the parenthesised command name
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** The fallback directory for a spool whose own directory is not writable. */
export function fallbackSpoolDir(primary: string): string {
  return join(tmpdir(), "tracewright-spool", createHash("sha256").update(resolve(primary)).digest("hex").slice(0, 16));
}

/**
 * A crash-safe queue of traces waiting for a remote destination: one file per batch of traces (a
 * JSON array of trace dicts), written to a temporary name, fsynced and renamed, so a crash leaves
 * whole files or nothing. Bounded by trace count and bytes.
 *
 * Costs do not grow with the spool: the directory is listed once, when the spool opens (an
 * in-memory index of batches, counts and bytes follows every change), and batches are written
 * with `fs.promises` (the fsync runs on libuv's thread pool, not the event loop), one write at a
 * time: batches arriving meanwhile are grouped into the next file (group commit). A batch is
 * reported durable only once its file is fsynced and renamed.
 *
 * When the directory cannot be written (read-only filesystem, a file in the way), the spool moves
 * to a directory under the OS temporary directory, and failing that keeps batches in memory,
 * bounded, with a warning: traces then survive an outage but not a crash.
 */
export class TraceSpool {
  private sequence = 0;
  private readonly entries: Entry[] = [];
  /** Names in the index, so a rescan adds only what is new. */
  private readonly known = new Set<string>();
  private head = 0;
  private traces = 0;
  private bytes = 0;
  private cachedBytes = 0;
  /** Directories tried in turn; `undefined` = memory. */
  private readonly targets: Array<string | undefined>;
  private target = 0;
  private pendingItems: unknown[] = [];
  private pendingWaiters: Array<() => void> = [];
  private pendingBytes = 0;
  private inflight: unknown[] | null = null;
  private inflightBytes = 0;
  /** Where the batch being written in the background is going, so an exit writes it there too. */
  private inflightName = "";
  private inflightDir: string | undefined;
  private writing = false;

  constructor(
    readonly dir: string,
    private readonly limits: {
      maxTraces: number;
      maxBytes: number;
      /** Bounds of the in-memory fallback (defaults: 10,000 traces, 64 MiB). */
      maxMemoryTraces?: number;
      maxMemoryBytes?: number;
      fallbackDir?: string;
    },
  ) {
    const fallback = limits.fallbackDir ?? fallbackSpoolDir(dir);
    this.targets = fallback === dir ? [dir, undefined] : [dir, fallback, undefined];
    for (const d of this.targets) if (d) this.index(d);
    this.entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Lists a directory once (at start): batches of this and of dead processes, oldest first. */
  private index(dir: string): void {
    let found: Dirent[];
    try {
      found = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // absent, or not a directory: nothing spooled there
    }
    for (const f of found) {
      const m = NAME.exec(f.name);
      if (!m) continue;
      const pid = Number(m[2]);
      // a live process delivers its own batches; taking them too would send them twice
      // a batch another live process is delivering right now is its business
      if (m[3]?.startsWith("c") && pid !== process.pid && isAlive(pid)) continue;
      let bytes = 0;
      try {
        bytes = f.isFile() ? statSync(join(dir, f.name)).size : 0;
      } catch {
        continue; // removed meanwhile
      }
      const count = Number(m[4]);
      this.entries.push({ name: f.name, dir, count, bytes });
      this.known.add(f.name);
      this.traces += count;
      this.bytes += bytes;
    }
  }

  /**
   * Looks again, off the event loop, for batches left by processes that died after this spool
   * opened (several processes may share a spool); returns how many were added. Cost grows with
   * the directory, so the delivery loop calls it rarely (when idle, at most every 30 s).
   */
  async rescan(): Promise<number> {
    const found: Entry[] = [];
    for (const dir of this.targets) {
      if (!dir) continue;
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const m = NAME.exec(name);
        if (!m || this.known.has(name)) continue;
        const pid = Number(m[2]);
        if (pid === process.pid || (m[3]?.startsWith("c") && isAlive(pid))) continue;
        try {
          const st = await stat(join(dir, name));
          found.push({ name, dir, count: Number(m[4]), bytes: st.isFile() ? st.size : 0 });
        } catch {
          // taken meanwhile
        }
      }
    }
    found.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of found) {
      if (this.known.has(e.name)) continue;
      this.entries.push(e);
      this.known.add(e.name);
      this.traces += e.count;
      this.bytes += e.bytes;
    }
    return found.length;
  }

  /** Traces waiting (durable, or being written). */
  traceCount(): number {
    return this.traces;
  }

  /** Batches waiting to be delivered (not counting those being written). */
  batchCount(): number {
    return this.entries.length - this.head;
  }

  /** True when batches live in memory only (no directory was writable). */
  inMemory(): boolean {
    return this.targets[this.target] === undefined;
  }

  /** The oldest durable batch, or undefined. */
  peek(): Entry | undefined {
    return this.entries[this.head];
  }

  private shift(entry: Entry): void {
    if (this.entries[this.head] !== entry) return;
    this.entries[this.head] = undefined as unknown as Entry;
    this.head++;
    // compact now and then so the array does not grow without end
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.known.delete(entry.name);
    this.traces -= entry.count;
    this.bytes -= entry.bytes;
    if (entry.items && entry.dir) this.cachedBytes -= entry.bytes;
  }

  private limitsNow(): { traces: number; bytes: number } {
    if (!this.inMemory()) return { traces: this.limits.maxTraces, bytes: this.limits.maxBytes };
    return {
      traces: Math.min(this.limits.maxTraces, this.limits.maxMemoryTraces ?? 10_000),
      bytes: Math.min(this.limits.maxBytes, this.limits.maxMemoryBytes ?? 64 * 1024 * 1024),
    };
  }

  /** Counts `items` against the bounds; returns the part that fits (the rest is to be dropped). */
  private reserve(items: unknown[]): { kept: unknown[]; json: string } | null {
    const max = this.limitsNow();
    const kept = items.slice(0, Math.max(0, max.traces - this.traces));
    if (kept.length === 0) return null;
    const json = JSON.stringify(kept);
    if (this.bytes + json.length > max.bytes) return null;
    this.traces += kept.length;
    this.bytes += json.length;
    return { kept, json };
  }

  private nextName(count: number): string {
    return `${Date.now().toString().padStart(15, "0")}-${String(process.pid).padStart(8, "0")}-${(this.sequence++).toString(36).padStart(8, "0")}-n${count}.json`;
  }

  /**
   * Appends a batch. Returns how many of `items` fit (the rest are to be dropped) at once, and a
   * promise settled when they are durable (always resolves: a write that fails everywhere keeps
   * the batch in memory).
   */
  add(items: unknown[]): { kept: number; durable: Promise<void> } {
    const r = this.reserve(items);
    if (!r) return { kept: 0, durable: Promise.resolve() };
    if (this.inMemory()) {
      this.unreserve(r.kept.length, r.json.length);
      this.pushEntry(r.kept, undefined, r.json.length);
      return { kept: r.kept.length, durable: Promise.resolve() };
    }
    for (const item of r.kept) this.pendingItems.push(item);
    this.pendingBytes += r.json.length;
    const durable = new Promise<void>((done) => this.pendingWaiters.push(done));
    this.watchExit();
    if (!this.writing) void this.writeLoop();
    return { kept: r.kept.length, durable };
  }

  private unreserve(count: number, bytes: number): void {
    this.traces -= count;
    this.bytes -= bytes;
  }

  /** Appends a batch synchronously (exit paths), also writing what still waits for a write. */
  addSync(items: unknown[]): number {
    const r = this.reserve(items);
    if (r) this.unreserve(r.kept.length, r.json.length);
    const kept = r?.kept ?? [];
    this.flushSync(kept);
    return kept.length;
  }

  /**
   * Writes every batch that is not durable yet, plus `extra`, synchronously: what is being
   * written in the background may never land once the process exits. It may land too (its rename
   * may already have reached the disk, its callback not yet run): so the batch is written under
   * the background write's own name, and whichever rename comes last leaves one file, not two.
   */
  private flushSync(extra: unknown[] = []): void {
    const inflight = this.inflight;
    if (inflight) {
      this.unreserve(inflight.length, this.inflightBytes);
      this.inflight = null; // the background write no longer adds it to the index
      this.writeSyncAnywhere(inflight, JSON.stringify(inflight), this.inflightName, this.inflightDir);
    }
    const items = [...this.pendingItems, ...extra];
    const waiters = this.pendingWaiters;
    this.unreserve(this.pendingItems.length, this.pendingBytes);
    this.pendingItems = [];
    this.pendingBytes = 0;
    this.pendingWaiters = [];
    if (items.length > 0) this.writeSyncAnywhere(items, JSON.stringify(items));
    for (const w of waiters) w();
  }

  private writeSyncAnywhere(items: unknown[], json: string, name = this.nextName(items.length), first?: string): void {
    if (first !== undefined) {
      try {
        writeFileDurableSync(first, name, json);
        this.pushEntry(items, first, json.length, name);
        return;
      } catch (e) {
        log.warn(`trace spool ${first} is not writable at exit (${(e as NodeJS.ErrnoException).code ?? e})`);
      }
    }
    for (;;) {
      const dir = this.targets[this.target];
      if (dir === undefined) {
        this.pushEntry(items, undefined, json.length);
        return;
      }
      try {
        writeFileDurableSync(dir, name, json);
        this.pushEntry(items, dir, json.length, name);
        return;
      } catch (e) {
        this.fallBack(dir, e);
      }
    }
  }

  /** One background write at a time; batches arriving meanwhile form the next file. */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.pendingItems.length > 0) {
        const items = this.pendingItems;
        const waiters = this.pendingWaiters;
        this.pendingItems = [];
        this.pendingWaiters = [];
        this.inflight = items;
        this.inflightBytes = this.pendingBytes;
        this.pendingBytes = 0;
        const json = JSON.stringify(items);
        const name = this.nextName(items.length);
        this.inflightName = name;
        for (;;) {
          const dir = this.targets[this.target];
          this.inflightDir = dir;
          if (this.inflight === null) break; // written synchronously meanwhile (exit)
          if (dir === undefined) {
            this.unreserve(items.length, this.inflightBytes);
            this.pushEntry(items, undefined, json.length);
            break;
          }
          try {
            await writeFileDurable(dir, name, json, () => this.inflight !== null);
            if (this.inflight === null) break; // also written synchronously: the index has it
            this.unreserve(items.length, this.inflightBytes);
            this.pushEntry(items, dir, json.length, name);
            break;
          } catch (e) {
            this.fallBack(dir, e);
          }
        }
        this.inflight = null;
        for (const w of waiters) w();
      }
    } finally {
      this.writing = false;
      if (this.pendingItems.length === 0) live.spools.delete(this);
    }
  }

  private pushEntry(items: unknown[], dir: string | undefined, bytes: number, name = this.nextName(items.length)) {
    const entry: Entry = { name, dir, count: items.length, bytes };
    // keep the batch in memory for delivery (no read back) while the cache is small
    if (dir === undefined) entry.items = items;
    else if (this.cachedBytes + bytes <= 2 * 1024 * 1024) {
      entry.items = items;
      this.cachedBytes += bytes;
    }
    this.entries.push(entry);
    this.known.add(name);
    this.traces += items.length;
    this.bytes += bytes;
  }

  private fallBack(dir: string, error: unknown): void {
    this.target++;
    const next = this.targets[this.target];
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (next !== undefined) {
      log.warn(`trace spool ${dir} is not writable (${code}): spooling to ${next} instead`);
    } else {
      const max = this.limitsNow();
      log.warn(
        `trace spool: no writable directory (${dir}: ${code}); keeping up to ${max.traces} undelivered traces in memory: they are lost if the process dies before the destination takes them`,
      );
    }
  }

  private watchExit(): void {
    live.spools.add(this);
    if (!live.hooked) {
      live.hooked = true;
      // what the thread pool has not finished
      process.on("exit", TraceSpool.flushAll);
    }
    if (!live.signalHooked) {
      live.signalHooked = true;
      // and on the exit paths that end without an "exit" event (SIGTERM, SIGINT: the exit hooks
      // re-raise the signal), whose exit work drains the background writers: a batch the export
      // queue handed over just before the signal was still being written by the thread pool
      registerBackgroundWriter({ flushSoon: () => {}, drainSync: TraceSpool.flushAll });
    }
  }

  /** Writes every live spool's unfinished batches synchronously: only that is possible at exit. */
  private static readonly flushAll = (): void => {
    for (const s of live.spools) {
      try {
        s.flushSync();
      } catch (e) {
        log.error("could not save spooled traces at exit", e);
      }
    }
  };

  /**
   * A name for a batch of this process: `claimed` ones (sequence starting with "c") are being
   * delivered right now; no other process touches them while this one lives.
   */
  private renamed(name: string, claimed: boolean): string {
    const seq = (this.sequence++).toString(36).padStart(8, "0");
    return name.replace(
      NAME,
      (_m, time: string, _pid, _seq, n: string) =>
        `${time}-${String(process.pid).padStart(8, "0")}-${claimed ? "c" : ""}${seq}-n${n}.json`,
    );
  }

  private async renameEntry(entry: Entry, to: string): Promise<void> {
    await rename(join(entry.dir as string, entry.name), join(entry.dir as string, to));
    this.known.delete(entry.name);
    this.known.add(to);
    entry.name = to;
  }

  /**
   * Reads a batch (off the event loop), claiming its file first: processes sharing a spool may
   * all have indexed it, and only the one whose rename succeeds delivers it (the others are told
   * `gone`). `unreadable` says why a file cannot be used.
   */
  async load(entry: Entry): Promise<Loaded> {
    if (!entry.dir) return entry.items ? { items: entry.items } : { unreadable: "empty memory batch" };
    if (!entry.claimed) {
      try {
        await this.renameEntry(entry, this.renamed(entry.name, true));
        entry.claimed = true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return { gone: true };
        // a read-only spool left by an earlier process: deliver from it unclaimed
      }
    }
    if (entry.items) return { items: entry.items };
    let text: string;
    try {
      text = await readFile(join(entry.dir, entry.name), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { gone: true };
      return { unreadable: (e as Error).message };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return { unreadable: text === "" ? "empty file" : `not JSON (${(e as Error).message})` };
    }
    if (!Array.isArray(parsed))
      return { unreadable: `not a JSON array but ${parsed === null ? "null" : typeof parsed}` };
    return { items: parsed };
  }

  /** Gives a batch's claim back after a failed delivery, so another process may take it if this one dies. */
  async release(entry: Entry): Promise<void> {
    if (!entry.dir || !entry.claimed) return;
    try {
      await this.renameEntry(entry, this.renamed(entry.name, false));
      entry.claimed = false;
    } catch {
      // still claimed: a rescan by another process takes it once this one is gone
    }
  }

  /** Removes a delivered batch from the index and the disk. */
  async remove(entry: Entry): Promise<void> {
    // gone from disk first: pending() counts it until then, so a flush-then-exit cannot resend it
    if (entry.dir) await rm(join(entry.dir, entry.name), { force: true }).catch(() => undefined);
    this.shift(entry);
  }

  /** Forgets a batch another process took (its file is gone). */
  forget(entry: Entry): void {
    this.shift(entry);
  }

  /** Moves an unreadable batch aside, to `quarantine/`; returns where it went (or why it could not). */
  async quarantine(entry: Entry): Promise<string> {
    this.shift(entry);
    if (!entry.dir) return "memory";
    const from = join(entry.dir, entry.name);
    const to = join(entry.dir, QUARANTINE_DIR, entry.name);
    try {
      await ensureDir(join(entry.dir, QUARANTINE_DIR));
      await rename(from, to);
      return to;
    } catch {
      // cannot move it aside: delete it, and if even that fails never offer it again
      try {
        await rm(from, { recursive: true, force: true });
        return "deleted";
      } catch {
        return "left in place (it is out of the index: this process will not read it again)";
      }
    }
  }

  /** Keeps unreadable items of a readable batch aside, in `quarantine/`, as a file of their own. */
  async quarantineItems(entry: Entry, items: unknown[]): Promise<string> {
    const dir = join(entry.dir ?? this.targets.find((d) => d !== undefined) ?? this.dir, QUARANTINE_DIR);
    const name = entry.name.replace(/\.json$/, `-unreadable-${items.length}.json`);
    try {
      await writeFileDurable(dir, name, JSON.stringify(items));
      return join(dir, name);
    } catch (e) {
      return `nowhere (${(e as Error).message})`;
    }
  }

  /** Replaces a batch by what is left of it, in the same place in the order. */
  async replace(entry: Entry, remaining: unknown[]): Promise<void> {
    if (remaining.length === entry.count) return;
    const json = JSON.stringify(remaining);
    const renamed = entry.name.replace(/-n\d+\.json$/, `-n${remaining.length}.json`);
    if (entry.dir) {
      try {
        await writeFileDurable(entry.dir, renamed, json);
        if (renamed !== entry.name) await rm(join(entry.dir, entry.name), { force: true });
      } catch {
        return; // the whole batch stays: delivered traces may be sent again, none is lost
      }
    }
    this.traces += remaining.length - entry.count;
    this.bytes += json.length - entry.bytes;
    if (entry.items && entry.dir) this.cachedBytes += json.length - entry.bytes;
    this.known.delete(entry.name);
    this.known.add(renamed);
    entry.name = renamed;
    entry.count = remaining.length;
    entry.bytes = json.length;
    if (entry.items) entry.items = remaining;
  }
}

/**
 * `mkdir -p`, bounded. Not `fs.mkdir({ recursive: true })`: on a path under a pseudo-filesystem
 * such as /proc, Node's recursive mkdir never returns (it retries ENOENT for ever), and a hung
 * call also holds one of libuv's four pool threads, stalling every later fs.promises call.
 */
async function ensureDir(dir: string, depth = 0): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!(await stat(dir)).isDirectory()) throw e;
      return;
    }
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir || depth > 64) throw e;
    await ensureDir(parent, depth + 1);
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== "EEXIST") throw again;
    });
  }
}

/** The synchronous twin of {@link ensureDir}. */
function ensureDirSync(dir: string, depth = 0): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!statSync(dir).isDirectory()) throw e;
      return;
    }
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir || depth > 64) throw e;
    ensureDirSync(parent, depth + 1);
    try {
      mkdirSync(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== "EEXIST") throw again;
    }
  }
}

async function writeFileDurable(dir: string, name: string, json: string, wanted?: () => boolean): Promise<void> {
  // created on first use: reading a remote destination (e.g. from the CLI) leaves no directory
  await ensureDir(dir);
  const tmp = join(dir, `.${name}.tmp`);
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(json);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // written synchronously meanwhile (a signal's exit work, after which the process may go on and
  // deliver and remove that file): renamed now, this copy would bring the batch back, to be
  // delivered again by the next process
  if (wanted && !wanted()) {
    await rm(tmp, { force: true }).catch(() => undefined);
    return;
  }
  await rename(tmp, join(dir, name));
}

function writeFileDurableSync(dir: string, name: string, json: string): void {
  ensureDirSync(dir);
  // not the background write's temporary file: that one may still be open and being written
  const tmp = join(dir, `.${name}.sync.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, json);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
}
