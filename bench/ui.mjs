// Latency of the tracewright ui JSON API over the embedded store: listing pages of a store of
// 10,000 traces (10 spans each), a filtered page, and one trace of 1,501 spans.
// Run: pnpm bench:ui
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flushTraces, SqliteTraceStore, setTraceStore, startSpan, trace, updateCurrentTrace } from "@tracewright/core";
import { startUiServer } from "@tracewright/ui";
import { median } from "./lib.mjs";

const TRACES = Number(process.env.BENCH_TRACES ?? 10_000);
const REPS = 25;

const store = new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-bench-ui-")), "traces.db"));
setTraceStore(store);
const step = trace(function step(i) {
  return { i, note: "x".repeat(200) };
});
const job = trace(function job(i) {
  updateCurrentTrace({ tags: { env: i % 10 === 0 ? "prod" : "dev" } });
  for (let k = 0; k < 9; k++) step(k);
  return i;
});
for (let i = 0; i < TRACES; i++) {
  job(i);
  if (i % 1000 === 999) await flushTraces(); // stay within the export queue's bounds
}
const root = startSpan({ name: "long_run", parent: null });
for (let i = 0; i < 1500; i++) startSpan({ name: `step ${i}`, parent: root, inputs: { i } }).end({ outputs: { i } });
root.end();
await flushTraces();

const server = await startUiServer({ store, port: 0 });
async function measure(label, path) {
  const times = [];
  let bytes = 0;
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const res = await fetch(new URL(path, server.url));
    bytes = (await res.arrayBuffer()).byteLength;
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    times.push(performance.now() - t0);
  }
  return { request: label, "median ms": median(times).toFixed(1), "response KB": (bytes / 1024).toFixed(0) };
}
const longRun = (await (await fetch(new URL("/api/traces?pageSize=1", server.url))).json()).traces[0].traceId;
const rows = [
  await measure("first page of 100 traces", "/api/traces?pageSize=100"),
  await measure("page of 500 traces (live refresh, all loaded)", "/api/traces?pageSize=500"),
  await measure("100 traces, tag filter", `/api/traces?pageSize=100&filter=${encodeURIComponent("tags.env = 'prod'")}`),
  await measure(
    "100 traces by duration",
    `/api/traces?pageSize=100&order=${encodeURIComponent("execution_time_ms DESC")}`,
  ),
  await measure("one trace of 1,501 spans", `/api/traces/${longRun}`),
];
await server.close();
console.log(
  `\ntracewright ui API over a store of ${TRACES + 1} traces (node ${process.version}, ${REPS} requests each)`,
);
console.table(rows);
