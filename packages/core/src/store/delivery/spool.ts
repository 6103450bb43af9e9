import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/** A batch file's name: `<time>-<pid>-<seq>-n<count>.json`, so names sort in arrival order. */
const COUNT = /-n(\d+)\.json$/;

/**
 * A crash-safe on-disk queue of traces waiting for a remote destination: one file per batch of
 * traces (a JSON array of trace dicts), written to a temporary name, fsynced and renamed, so a
 * crash leaves whole files or nothing. Bounded by trace count and bytes.
 */
export class TraceSpool {
  private sequence = 0;

  constructor(
    readonly dir: string,
    private readonly limits: { maxTraces: number; maxBytes: number },
  ) {}

  /** Batch files, oldest first (none while the directory does not exist yet). */
  list(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => COUNT.test(f))
      .sort();
  }

  /** Traces waiting, from the counts in the file names (no file is read). */
  traceCount(): number {
    return this.list().reduce((n, f) => n + Number(COUNT.exec(f)?.[1] ?? 0), 0);
  }

  /** Traces and bytes on disk, in one pass over the directory. */
  private usage(): { traces: number; bytes: number } {
    let traces = 0;
    let bytes = 0;
    for (const f of this.list()) {
      traces += Number(COUNT.exec(f)?.[1] ?? 0);
      try {
        bytes += statSync(join(this.dir, f)).size;
      } catch {
        // removed concurrently
      }
    }
    return { traces, bytes };
  }

  private write(name: string, json: string): void {
    // created on first use: reading a remote destination (e.g. from the CLI) leaves no directory
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.tmp`);
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, json);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
  }

  /** Appends a batch; returns how many of `items` fit (the rest are to be dropped). */
  add(items: unknown[]): number {
    const used = this.usage();
    const kept = items.slice(0, Math.max(0, this.limits.maxTraces - used.traces));
    if (kept.length === 0) return 0;
    const json = JSON.stringify(kept);
    if (used.bytes + json.length > this.limits.maxBytes) return 0;
    const name = `${Date.now().toString().padStart(15, "0")}-${String(process.pid).padStart(8, "0")}-${String(this.sequence++).padStart(8, "0")}-n${kept.length}.json`;
    this.write(name, json);
    return kept.length;
  }

  read(name: string): unknown[] | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, name), "utf8")) as unknown[];
    } catch {
      return null;
    }
  }

  /** Replaces a batch by what is left of it (same place in the order), or removes it. */
  replace(name: string, remaining: unknown[]): string | null {
    this.remove(name);
    if (remaining.length === 0) return null;
    const renamed = name.replace(COUNT, `-n${remaining.length}.json`);
    this.write(renamed, JSON.stringify(remaining));
    return renamed;
  }

  remove(name: string): void {
    rmSync(join(this.dir, name), { force: true });
  }
}
