// Remote destinations: sustained spans/s to a loopback MLflow-protocol server and to a loopback
// OTLP receiver (both in another process), the traced call's cost while the destination is up
// versus down (connection refused), the cost of handing a batch to the spool with 0, 1,000 and
// 10,000 batches already spooled, and the app's own throughput (paced at 100 traces/s) while the
// destination is up versus during an outage.  Run: pnpm bench:export
// BENCH_OUTAGE_S (default 60) sets the length of each throughput phase; e.g. 10 for a quick run.
import { fork } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@tracewright/core";
import * as stores from "@tracewright/core/stores";

const tw = { ...core, ...stores };

const TRACES = Number(process.env.BENCH_TRACES ?? 2000);
const SPANS_PER_TRACE = 10;
const CALLS = Number(process.env.BENCH_CALLS ?? 50_000);

const serverSource = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  let n = 0; req.on("data", (d) => (n += d.length));
  req.on("end", () => {
    if (req.url === "/api/3.0/mlflow/traces") {
      let body = ""; // the trace id is in the body; answer like MLflow with an artifact location
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ trace: { trace_info: { tags: { "mlflow.artifactLocation": "mlflow-artifacts:/0/traces/tr-x/artifacts" } } } }));
      return;
    }
    if (req.url === "/v1/traces") { res.writeHead(200, { "content-type": "application/x-protobuf" }); res.end(); return; }
    res.writeHead(200, { "content-type": "application/json" }); res.end("{}");
  });
});
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
`;
const server = fork("-e", [serverSource], {
  execArgv: ["-e", serverSource],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const port = await new Promise((resolve) => server.once("message", resolve));
const base = `http://127.0.0.1:${port}`;

const child = tw.trace((i) => ({ i, ok: true }), { name: "step" });
function makeTraces(n) {
  for (let t = 0; t < n; t++) {
    tw.withSpan({ name: "root", inputs: { t } }, () => {
      for (let s = 0; s < SPANS_PER_TRACE - 1; s++) child(s);
    });
  }
}

async function sustained(label, store) {
  tw.setTraceStore(store);
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < TRACES; done += 100) {
    makeTraces(100);
    await new Promise((r) => setImmediate(r));
  }
  await tw.flushTraces();
  while (store.pending() > 0) {
    await store.drain();
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { destination: label, traces: TRACES, "spans/s": Math.round((TRACES * SPANS_PER_TRACE) / seconds) };
}

const spool = () => mkdtempSync(join(tmpdir(), "tw-bench-spool-"));
const rows = [];
rows.push(
  await sustained(
    "MLflow REST (StartTraceV3 + traces.json per trace)",
    new tw.ReliableRemoteStore(new tw.MlflowTraceStore({ baseUrl: base }), base, { spoolDir: spool() }),
  ),
);
rows.push(
  await sustained(
    "OTLP http/protobuf (batches of 100 traces)",
    new tw.ReliableRemoteStore(
      new tw.OtlpTraceExporter({ protocol: "http/protobuf", url: `${base}/v1/traces` }),
      "otlp",
      {
        spoolDir: spool(),
        batchSize: 100,
      },
    ),
  ),
);

/** ns per traced call (calls timed alone; the export work between them is not counted). */
async function callCost(store) {
  tw.setTraceStore(store);
  const noop = tw.trace((x) => x, { name: "noop" });
  let callNs = 0;
  for (let done = 0; done < CALLS; done += 1000) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) noop(i);
    callNs += Number(process.hrtime.bigint() - t0);
    await tw.flushTraces();
  }
  await store.close(); // its delivery loop would keep probing during the phases below
  return callNs / CALLS;
}
const up = () => new tw.ReliableRemoteStore(new tw.MlflowTraceStore({ baseUrl: base }), base, { spoolDir: spool() });
const down = () =>
  new tw.ReliableRemoteStore(new tw.MlflowTraceStore({ baseUrl: "http://127.0.0.1:9", timeoutMs: 1000 }), "down", {
    spoolDir: spool(),
  });
await callCost(up()); // warm-up
const upNs = [];
const downNs = [];
for (let r = 0; r < 5; r++) {
  upNs.push(await callCost(up()));
  downNs.push(await callCost(down()));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `\nRemote destinations (node ${process.version}; loopback server in another process; traces of ${SPANS_PER_TRACE} spans)`,
);
console.table(rows);
console.log(
  `traced call, destination up: ${(median(upNs) / 1000).toFixed(2)} µs; down: ${(median(downNs) / 1000).toFixed(2)} µs; difference ${((median(downNs) - median(upNs)) / 1000).toFixed(2)} µs (target < 5 µs)`,
);
// ---- enqueue cost against the spool's size --------------------------------------------------
/** A spool holding `files` batches left by a process that is gone (no live pid has this id). */
function prefilledSpool(files) {
  const dir = spool();
  const json = JSON.stringify([{ info: { trace_id: `tr-${"0".repeat(32)}` }, data: { spans: [] } }]);
  for (let i = 0; i < files; i++)
    writeFileSync(join(dir, `${String(i).padStart(15, "0")}-99999999-${String(i).padStart(8, "0")}-n1.json`), json);
  return dir;
}
const sample = (() => {
  const store = new tw.InMemoryTraceStore();
  tw.setTraceStore(store);
  makeTraces(1);
  return store;
})();
await tw.flushTraces();
const sampleTrace = (await sample.searchTraces({ experimentIds: ["0"] })).traces[0];
const ENQUEUES = Number(process.env.BENCH_ENQUEUES ?? 1000);
const enqueueRows = [];
for (const files of [0, 1000, 10_000]) {
  const store = new tw.ReliableRemoteStore(
    new tw.MlflowTraceStore({ baseUrl: "http://127.0.0.1:9", timeoutMs: 1000 }),
    "enqueue",
    { spoolDir: prefilledSpool(files), maxSpoolTraces: 1_000_000, maxSpoolBytes: 4 * 1024 ** 3 },
  );
  const waits = [];
  let ns = 0;
  for (let i = 0; i < ENQUEUES; i++) {
    const t0 = process.hrtime.bigint();
    waits.push(store.logTraces([sampleTrace])); // the part the app's event loop pays
    ns += Number(process.hrtime.bigint() - t0);
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  const t1 = process.hrtime.bigint();
  await Promise.all(waits); // durable (fsynced off the event loop)
  const durableMs = Number(process.hrtime.bigint() - t1) / 1e6;
  enqueueRows.push({
    "spooled batches": files,
    "enqueue µs/batch (event loop)": +(ns / ENQUEUES / 1000).toFixed(1),
    [`ms until all ${ENQUEUES} durable`]: Math.round(durableMs),
  });
  await store.close();
}

// ---- the app's own throughput: destination up vs. an outage -----------------------------------
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 60);
const work = tw.trace(
  (n) => {
    // 0.5 ms of the app's own work per span: 4.5 ms per request, 45 % of a core at 100/s
    const end = performance.now() + 0.5;
    let x = 0;
    while (performance.now() < end) x += Math.sqrt(n + x);
    return x;
  },
  { name: "work" },
);
/** Requests completed per second by an app paced at 100 requests/s, one trace of 10 spans each. */
async function appThroughput(store, seconds) {
  tw.setTraceStore(store);
  const start = performance.now();
  let done = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = start + done * 10; // the pace: one request every 10 ms
    const wait = due - performance.now();
    await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
    tw.withSpan({ name: "request", inputs: { done } }, () => {
      for (let s = 0; s < SPANS_PER_TRACE - 1; s++) work(s);
    });
    done++;
  }
  const rate = done / ((performance.now() - start) / 1000);
  await tw.flushTraces();
  return rate;
}
const upStore = up();
const normal = await appThroughput(upStore, OUTAGE_S);
await upStore.close();
const outageStore = down();
const retried0 = tw.getExportStats().retried;
const duringOutage = await appThroughput(outageStore, OUTAGE_S);
const outageAttempts = tw.getExportStats().retried - retried0;
const spooledInOutage = outageStore.pending();
await outageStore.close();

console.log("\nHanding one batch to the spool (destination down, so everything stays spooled):");
console.table(enqueueRows);
console.log(
  `app paced at 100 requests/s (a trace of 10 spans and 4.5 ms of its own work each), ${OUTAGE_S} s per phase: ` +
    `destination up ${normal.toFixed(1)}/s; during an outage ${duringOutage.toFixed(1)}/s ` +
    `(${((duringOutage / normal) * 100).toFixed(1)} % of normal; target >= 90 %); ` +
    `${spooledInOutage} traces spooled, ${outageAttempts} delivery attempts during the outage`,
);
const stats = tw.getExportStats();
console.log(
  `export stats: sent ${stats.sent}, retried ${stats.retried}, spooled ${stats.spooled}, dropped ${stats.dropped}`,
);
server.kill();
process.exit(0);
