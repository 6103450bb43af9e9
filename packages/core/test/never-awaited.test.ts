import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");

/** Returns lazy thenables from traced functions and drops them unawaited, then collects them. */
const APP = `
const tw = require("@tracewright/core");
const store = new tw.InMemoryTraceStore();
tw.setTraceStore(store);
let runs = 0;
class LazyQuery { then(ok, fail) { runs++; return Promise.resolve([]).then(ok, fail); } }
const query = tw.trace(function query() { return new LazyQuery(); }, { spanType: "RETRIEVER" });
(async () => {
  global.gc();
  for (let i = 0; i < 2000; i++) query();
  for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 5)); global.gc(); }
  await tw.flushTraces();
  const traces = store.allTraces();
  const events = traces.map((t) => t.data.spans[0].events.map((e) => e.name).join(","));
  console.log(JSON.stringify({
    runs,
    traces: traces.length,
    allMarked: events.every((e) => e === "result_never_awaited"),
  }));
})();`;

describe("a traced function's thenable that nobody awaits", () => {
  it("never runs, and its span ends (trace stored) once the thenable is collected", () => {
    const out = execFileSync(process.execPath, ["--expose-gc", "-e", APP], { cwd: pkgDir, encoding: "utf8" });
    const result = JSON.parse(out);
    expect(result.runs).toBe(0);
    expect(result.traces).toBe(2000);
    expect(result.allMarked).toBe(true);
  });
});
