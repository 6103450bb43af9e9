// Main-thread CPU that @tracewright/google-genai autolog adds to one models.generateContent call:
// the real @google/genai client against a loopback server (its own process, so its CPU is not
// counted) serving the recorded Gemini reply. Three variants in interleaved rounds: autolog off
// (a client made while it was off), autolog on with a no-op store (setTraceStore: the cost of
// recording the span), and autolog on with the default store (SQLite: recording plus export).
// Each round measures a block of calls per variant with process.threadCpuUsage(); the figure is
// the median over rounds of (variant - off). Run: node bench/google-genai.mjs
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

// the default store is SQLite at the tracking URI: keep it out of the working tree
process.env.TRACEWRIGHT_TRACKING_URI ??= `sqlite://${join(mkdtempSync(join(tmpdir(), "tw-bench-genai-")), "traces.db")}`;
const tw = await import("@tracewright/core");
// @google/genai and this integration are the package's dependencies, not the root's: load them
// from there (the SDK's CommonJS build, loaded before autolog, which patches it from require's
// cache; the integration's ESM build, which shares the root's @tracewright/core)
const fromPackage = createRequire(new URL("../packages/google-genai/package.json", import.meta.url));
const { GoogleGenAI } = fromPackage("@google/genai");
const { autolog } = await import(new URL("../packages/google-genai/dist/index.js", import.meta.url).href);

const BLOCK = Number(process.env.BENCH_BLOCK ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

const har = JSON.parse(
  readFileSync(new URL("../packages/testing/recordings/gemini-generate-content.har", import.meta.url), "utf8"),
);
const entry = har.log.entries[0];
const reply = entry.response.content.text;
const request = JSON.parse(entry.request.postData.text);

const serverSource = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(process.env.REPLY); });
});
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
`;
const server = fork("-e", [serverSource], {
  execArgv: ["-e", serverSource],
  env: { ...process.env, REPLY: reply },
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const port = await new Promise((resolve) => server.once("message", resolve));
const options = { apiKey: "bench-key", apiVersion: "v1beta", httpOptions: { baseUrl: `http://127.0.0.1:${port}` } };
const params = { model: "gemini-1.5-flash", contents: request.contents[0].parts[0].text };

class DiscardStore extends tw.InMemoryTraceStore {
  logTraces() {}
}
const defaultStore = tw.getTraceStore();
const noopStore = new DiscardStore();

const plainClient = new GoogleGenAI(options); // made while autolog is off: the SDK's own methods
await autolog();
const tracedClient = new GoogleGenAI(options);

const variants = {
  off: { client: plainClient, store: noopStore, on: false },
  noop: { client: tracedClient, store: noopStore, on: true },
  store: { client: tracedClient, store: defaultStore, on: true },
};

/** Main-thread CPU per call (µs) over one block of sequential calls, export flushed inside it. */
async function block(name) {
  const v = variants[name];
  tw.setTraceStore(v.store);
  await autolog(v.on ? {} : { disable: true });
  const t0 = process.threadCpuUsage();
  for (let i = 0; i < BLOCK; i++) {
    const r = await v.client.models.generateContent(params);
    if (r.text !== "4\n") throw new Error(`unexpected answer ${JSON.stringify(r.text)}`);
  }
  await tw.flushTraces();
  const t = process.threadCpuUsage(t0);
  return (t.user + t.system) / BLOCK;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const name of Object.keys(variants)) await block(name); // warm-up
const perRound = { off: [], noop: [], store: [] };
for (let r = 0; r < ROUNDS; r++) {
  // rotate the order so that no variant always runs first (GC, timers, a busy machine)
  const order = ["off", "noop", "store"].map((_, i, a) => a[(i + r) % a.length]);
  for (const name of order) perRound[name].push(await block(name));
}
const added = (name) => median(perRound[name].map((x, i) => x - perRound.off[i]));

console.log(`@tracewright/google-genai: main-thread CPU per generateContent call (${ROUNDS} rounds x ${BLOCK} calls)`);
console.log(`  autolog off (SDK alone)      ${median(perRound.off).toFixed(1)} µs/call`);
console.log(
  `  + autolog, no-op store       ${added("noop").toFixed(1)} µs/call added (median of per-round differences)`,
);
console.log(
  `  + autolog, default store     ${added("store").toFixed(1)} µs/call added (SQLite: ${tw.getTrackingUri()})`,
);
server.kill();
