// Overhead of @tracewright/bedrock autolog on real ConverseCommand calls: the real SDK client
// (its default HTTP/2 handler) against a loopback endpoint in a separate process serving the
// hand-written Converse reply the tests use. Three ways, interleaved round by round: autolog off,
// on with a no-op store (setTraceStore: what tracing costs on the caller's thread), and on with
// the default embedded SQLite store. Main-thread CPU from process.threadCpuUsage().
// Run: turbo run build --filter=@tracewright/bedrock... && node bench/bedrock.mjs
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "./lib.mjs";

// the SDK and this package are dependencies of packages/bedrock, not of the workspace root
const pkgRequire = createRequire(new URL("../packages/bedrock/package.json", import.meta.url));
const { BedrockRuntimeClient, ConverseCommand } = pkgRequire("@aws-sdk/client-bedrock-runtime");
const tw = await import(pkgRequire.resolve("@tracewright/core"));
const { autolog } = await import(new URL("../packages/bedrock/dist/index.js", import.meta.url).href);

const CALLS = Number(process.env.BENCH_CALLS ?? 300); // per block
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const recordings = new URL("../packages/testing/recordings/", import.meta.url);
const reply = JSON.parse(readFileSync(new URL("handwritten-bedrock-converse-tool-use.json", recordings), "utf8"));

// ---- the endpoint, in its own process so its CPU is not counted -----------------------------
const serverSource = `
const http2 = require("node:http2");
const reply = JSON.parse(process.env.REPLY);
const body = JSON.stringify(reply.body);
const server = http2.createServer();
server.on("stream", (stream) => {
  stream.resume();
  stream.on("end", () => { stream.respond({ ":status": 200, ...reply.headers }); stream.end(body); });
});
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
`;
const server = fork("-e", [serverSource], {
  execArgv: ["-e", serverSource],
  env: { ...process.env, REPLY: JSON.stringify(reply) },
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const port = await new Promise((resolve) => server.once("message", resolve));

const client = new BedrockRuntimeClient({
  region: "us-east-1",
  endpoint: `http://127.0.0.1:${port}`,
  credentials: { accessKeyId: "AKIDEXAMPLEFAKE000000", secretAccessKey: "bench-needs-no-secret" },
  maxAttempts: 1,
});
const input = {
  modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
  system: [{ text: "You are a concise weather assistant." }],
  messages: [{ role: "user", content: [{ text: "What's the weather in Seattle?" }] }],
  toolConfig: {
    tools: [
      {
        toolSpec: {
          name: "get_weather",
          inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } },
        },
      },
    ],
  },
  inferenceConfig: { maxTokens: 512 },
};

/** A store that keeps nothing: what is left is tracing's own work on the caller's thread. */
class NoopStore extends tw.InMemoryTraceStore {
  logTraces() {}
}
const noop = new NoopStore();
const sqlite = new tw.SqliteTraceStore(join(tmpdir(), `tw-bench-bedrock-${process.pid}.db`));

const modes = {
  off: async () => autolog({ disable: true }),
  "no-op store": async () => {
    tw.setTraceStore(noop);
    await autolog();
  },
  "default store (SQLite)": async () => {
    tw.setTraceStore(sqlite);
    await autolog();
  },
};

/** `CALLS` sequential calls in one mode; main-thread CPU and wall time per call (µs), export included. */
async function block(mode) {
  await modes[mode]();
  const cpu0 = process.threadCpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    const out = await client.send(new ConverseCommand(input));
    if (out.stopReason !== "tool_use") throw new Error("unexpected reply");
  }
  await tw.flushTraces();
  const cpu = process.threadCpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / CALLS, wall: Number(process.hrtime.bigint() - t0) / 1e3 / CALLS };
}

for (const mode of Object.keys(modes)) await block(mode); // warm-up: JIT, session, SQLite statements
const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of Object.keys(modes)) results[mode].push(await block(mode));
}

const rows = [];
for (const mode of Object.keys(modes)) {
  const added = (key) => median(results[mode].map((x, r) => x[key] - results.off[r][key]));
  rows.push({
    mode,
    "CPU µs/call": Math.round(median(results[mode].map((x) => x.cpu))),
    "added CPU µs/call": mode === "off" ? 0 : Math.round(added("cpu")),
    // wall time includes the server process and the shared machine's scheduling: context only
    "wall µs/call": Math.round(median(results[mode].map((x) => x.wall))),
  });
}
console.log(`ConverseCommand, ${ROUNDS} interleaved rounds of ${CALLS} calls, medians of per-round differences`);
console.table(rows);

await autolog({ disable: true });
client.destroy();
sqlite.close();
server.kill();
