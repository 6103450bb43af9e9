/**
 * The spool's exit write of a batch that is still being written in the background: it lands
 * under the background write's own name, so a batch whose background write completes too (its
 * rename may have reached the disk just before the exit) is one file, delivered once, not two.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TraceSpool } from "../src/store/delivery/spool.js";

const batchFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".json") && !f.startsWith("."));

describe("a batch written at exit while its background write is under way", () => {
  it("is one file holding it once, whichever write lands last", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-spool-exit-"));
    const spool = new TraceSpool(dir, { maxTraces: 1000, maxBytes: 1 << 20, fallbackDir: dir });
    const { durable } = spool.add([{ id: "a" }, { id: "b" }]);
    // the exit hook's synchronous write, while the background write is in flight (it then lands too)
    (spool as unknown as { flushSync(): void }).flushSync();
    await durable;
    // let the background write finish its rename
    for (let i = 0; i < 50 && readdirSync(dir).some((f) => f.endsWith(".tmp")); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    const files = batchFiles(dir);
    const ids = files.flatMap((f) =>
      (JSON.parse(readFileSync(join(dir, f), "utf8")) as Array<{ id: string }>).map((x) => x.id),
    );
    expect(ids.sort()).toEqual(["a", "b"]);
    expect(files.length).toBe(1);
    expect(spool.traceCount()).toBe(2);
  });
});
