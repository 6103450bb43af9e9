import {
  closeSync,
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

/**
 * A crash-safe on-disk queue of traces waiting for a remote destination: one file per trace,
 * written to a temporary name, fsynced and renamed, so a crash leaves whole files or nothing.
 * File names sort in arrival order. Bounded by file count and bytes.
 */
export class TraceSpool {
  private sequence = 0;

  constructor(
    readonly dir: string,
    private readonly limits: { maxFiles: number; maxBytes: number },
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Spooled entries, oldest first. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  }

  private usage(): { files: number; bytes: number } {
    let bytes = 0;
    const files = this.list();
    for (const f of files) {
      try {
        bytes += statSync(join(this.dir, f)).size;
      } catch {
        // removed concurrently
      }
    }
    return { files: files.length, bytes };
  }

  /** Appends one trace (its JSON text); false when the spool is full. */
  add(traceId: string, json: string): boolean {
    const { files, bytes } = this.usage();
    if (files >= this.limits.maxFiles || bytes + json.length > this.limits.maxBytes) return false;
    const name = `${Date.now().toString().padStart(15, "0")}-${process.pid}-${String(this.sequence++).padStart(6, "0")}-${traceId}.json`;
    const tmp = join(this.dir, `.${name}.tmp`);
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, json);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    return true;
  }

  read(name: string): string | null {
    try {
      return readFileSync(join(this.dir, name), "utf8");
    } catch {
      return null;
    }
  }

  remove(name: string): void {
    rmSync(join(this.dir, name), { force: true });
  }
}
