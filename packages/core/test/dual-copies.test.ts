import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");

/**
 * A CommonJS app that also loads core's ESM build (as `--import @tracewright/<x>/register` does):
 * two copies of core's code in one process. They must behave as one.
 */
const APP = `
const cjs = require("@tracewright/core");
(async () => {
  const esm = await import("@tracewright/core");
  if (esm.trace === cjs.trace) throw new Error("expected two copies of core");
  const inner = esm.trace(function inner(x) { return x * 2; }, { spanType: "TOOL" });
  const outer = cjs.trace(async function outer(x) { return inner(x) + 1; }, { spanType: "CHAIN" });
  await Promise.all([outer(1), outer(2), outer(3)]);
  await cjs.withSpan({ name: "manual" }, async () => {
    const active = esm.getCurrentActiveSpan();
    if (!active || active.name !== "manual") throw new Error("the ESM copy does not see the CJS span");
    if (!(active instanceof esm.LiveSpan)) throw new Error("instanceof fails across copies");
  });
  esm.setTraceStore(null); // configuration set through one copy is seen by the other
  await esm.flushTraces();
  const traces = await cjs.searchTraces({ maxResults: 100, orderBy: ["timestamp_ms ASC"] });
  let missing = null;
  // an error thrown by the store (made by whichever copy configured it) is recognised by both
  try { await esm.getTraceStore().setTraceTag("tr-0000000000000000000000000000dead", "k", "v"); } catch (e) { missing = e; }
  console.log(JSON.stringify({
    trees: traces.map(({ trace: t }) => t.data.spans.map((s) => s.name + "<" + (t.data.spans.find((p) => p.spanId === s.parentId)?.name ?? "") + ">").sort()),
    notFoundIsCjsClass: missing instanceof cjs.TraceNotFoundError,
    sameQueue: cjs.getExportStats().exported === esm.getExportStats().exported,
  }));
})().catch((e) => { console.error(e); process.exit(1); });`;

describe("two copies of core in one process (ESM and CommonJS builds)", () => {
  it("share one trace registry, context, store and export queue", () => {
    const db = join(mkdtempSync(join(tmpdir(), "tw-dual-")), "traces.db");
    const out = execFileSync(process.execPath, ["-e", APP], {
      cwd: pkgDir,
      env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}` },
      encoding: "utf8",
    });
    const result = JSON.parse(out);
    // traces started in the same millisecond have no defined order: compare as a sorted list
    expect([...result.trees].sort((a: string[], b: string[]) => a[0]!.localeCompare(b[0]!))).toEqual([
      ["inner<outer>", "outer<>"],
      ["inner<outer>", "outer<>"],
      ["inner<outer>", "outer<>"],
      ["manual<>"],
    ]);
    expect(result.notFoundIsCjsClass).toBe(true);
    expect(result.sameQueue).toBe(true);
  });
});
