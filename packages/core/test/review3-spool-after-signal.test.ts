import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { drainBackgroundWritersSync } from "../src/internal/background-writers.js";
import { TraceSpool } from "../src/store/delivery/spool.js";

const batchFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".json") && !f.startsWith("."));

describe("review: the spool drained as a background writer while the process goes on", () => {
  it("a batch delivered after a SIGTERM the app handles does not come back when its background write lands", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-review-spool-"));
    const spool = new TraceSpool(dir, { maxTraces: 1000, maxBytes: 1 << 20, fallbackDir: dir });
    const { durable } = spool.add([{ id: "a" }, { id: "b" }]);
    // what the exit hooks' SIGTERM listener now does, the app having its own listener (the process goes on)
    drainBackgroundWritersSync(0);
    // the delivery loop takes the batch and, delivered, removes it
    const entry = spool.peek();
    expect(entry).toBeDefined();
    await spool.load(entry as NonNullable<typeof entry>);
    await spool.remove(entry as NonNullable<typeof entry>);
    await durable;
    for (let i = 0; i < 50 && readdirSync(dir).some((f) => f.endsWith(".tmp")); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    const left = batchFiles(dir);
    // a restart would index and deliver this batch a second time
    const restarted = new TraceSpool(dir, { maxTraces: 1000, maxBytes: 1 << 20, fallbackDir: dir });
    expect(restarted.traceCount()).toBe(0);
    expect(left).toEqual([]);
  });
});
