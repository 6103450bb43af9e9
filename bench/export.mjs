// Remote destinations: sustained spans/s to a loopback MLflow-protocol server and to a loopback
// OTLP receiver (both in another process), and the traced call's cost while the destination is
// up versus down (connection refused).  Run: pnpm bench:export
import { fork } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tw from "@tracewright/core";

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
    new tw.ReliableRemoteStore(new tw.OtlpTraceStore({ protocol: "http/protobuf", url: `${base}/v1/traces` }), "otlp", {
      spoolDir: spool(),
      batchSize: 100,
    }),
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
const stats = tw.getExportStats();
console.log(
  `export stats: sent ${stats.sent}, retried ${stats.retried}, spooled ${stats.spooled}, dropped ${stats.dropped}`,
);
server.kill();
process.exit(0);
