// Main-thread CPU that @tracewright/anthropic adds per call: the real @anthropic-ai/sdk client
// against a loopback fake Anthropic API (a separate process, so its CPU is not counted) serving
// recorded replies. Tracing off vs on, in interleaved rounds, CPU read with
// process.threadCpuUsage(); the figure is the median of the per-round differences. On: with a
// no-op store (setTraceStore: tracing only), and with the default store (embedded SQLite; here in
// a temporary directory unless TRACEWRIGHT_TRACKING_URI says otherwise).
// Run: node bench/anthropic.mjs (after building @tracewright/anthropic)
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { median } from "./lib.mjs";

process.env.TRACEWRIGHT_TRACKING_URI ??= `sqlite://${join(mkdtempSync(join(tmpdir(), "tw-bench-anthropic-")), "traces.db")}`;

// the root manifest does not list the SDK: load it, core and the package as the package sees them
const require = createRequire(new URL("../packages/anthropic/package.json", import.meta.url));
const Anthropic = require("@anthropic-ai/sdk");
const tw = require("@tracewright/core");
const { autolog, instrumentAnthropicModule } = require("./dist/index.cjs");
const sdkVersion = JSON.parse(
  readFileSync(join(dirname(require.resolve("@anthropic-ai/sdk")), "package.json"), "utf8"),
).version;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS = Number(process.env.BENCH_CALLS ?? 200); // per side per round, over loopback HTTP
const IN_PROCESS_CALLS = CALLS * 5; // in process a call is ~5x cheaper: as long a block
const recordings = new URL("../packages/testing/recordings/", import.meta.url);

// ---- the recorded replies ------------------------------------------------------------------
const har = JSON.parse(readFileSync(new URL("anthropic-messages-joke.har", recordings), "utf8"));
const MESSAGE = har.log.entries[0].response.content.text;
const SSE = readFileSync(new URL("anthropic-messages-text.chunks.txt", recordings), "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => `event: ${JSON.parse(l).type}\ndata: ${l}\n\n`)
  .join("");

// ---- the loopback server, in its own process ------------------------------------------------
const serverSource = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  let body = ""; req.on("data", (d) => (body += d));
  req.on("end", () => {
    const stream = body.includes('"stream":true');
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    res.end(stream ? process.env.SSE : process.env.MESSAGE);
  });
});
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
process.on("disconnect", () => process.exit()); // the bench ended, however it ended
`;
const server = fork("-e", [serverSource], {
  execArgv: ["-e", serverSource],
  env: { ...process.env, MESSAGE, SSE },
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const port = await new Promise((resolve) => server.once("message", resolve));

/** Records nothing: what tracing costs without any store work. */
class NoopStore extends tw.InMemoryTraceStore {
  logTraces() {}
}

const loopbackClient = new Anthropic({ apiKey: "sk-ant-bench", baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });

// The same client with a fetch that answers from memory (the SDK's `fetch` option): no sockets, so
// the figure is not blurred by the HTTP stack's own CPU (~200 µs a call, and noisy).
const encoder = new TextEncoder();
async function inMemoryFetch(_url, init) {
  if (!String(init?.body ?? "").includes('"stream":true')) {
    return new Response(MESSAGE, { status: 200, headers: { "content-type": "application/json" } });
  }
  const body = new ReadableStream({
    start(controller) {
      for (const event of SSE.split("\n\n").filter(Boolean)) controller.enqueue(encoder.encode(`${event}\n\n`));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
}
const inMemoryClient = new Anthropic({
  apiKey: "sk-ant-bench",
  baseURL: "http://in-memory",
  maxRetries: 0,
  fetch: inMemoryFetch,
});

const params = {
  model: "claude-3-opus-20240229",
  max_tokens: 1024,
  messages: [{ role: "user", content: "Tell me a joke about OpenTelemetry" }],
};

const callKinds = (client) => ({
  "messages.create": () => client.messages.create(params),
  "messages.create, stream: true (11 events)": async () => {
    const stream = await client.messages.create({ ...params, stream: true });
    for await (const _ of stream);
  },
  "messages.stream() + finalMessage()": () => client.messages.stream(params).finalMessage(),
});

const cpuUs = () => {
  const { user, system } = process.threadCpuUsage();
  return user + system;
};

/** Main-thread CPU per call (µs) of `calls` sequential calls, export to the store included. */
async function block(call, calls) {
  const c0 = cpuUs();
  for (let i = 0; i < calls; i++) await call();
  await tw.flushTraces();
  return (cpuUs() - c0) / calls;
}

async function measure(call, store, calls) {
  tw.setTraceStore(store);
  const off = [];
  const diffs = [];
  for (let round = -2; round < ROUNDS; round++) {
    // alternate which side runs first, so a drift within a round favours neither
    const sides = round % 2 === 0 ? [false, true] : [true, false];
    const cost = {};
    for (const traced of sides) {
      await autolog(traced ? {} : { disable: true });
      cost[traced] = await block(call, calls);
    }
    if (round < 0) continue; // warm-up rounds
    off.push(cost.false);
    diffs.push(cost.true - cost.false);
  }
  return { off: median(off), added: median(diffs), rounds: diffs };
}

await autolog();
instrumentAnthropicModule(Anthropic); // the copy required above, whatever module hooks saw
const defaultStore = tw.getTraceStore();
const STORES = [
  ["no-op store (setTraceStore)", () => new NoopStore()],
  ["default store (embedded SQLite)", () => defaultStore],
];
for (const [transport, client, calls] of [
  ["loopback HTTP (fake API in another process)", loopbackClient, CALLS],
  ["in process (the SDK's fetch option, no sockets)", inMemoryClient, IN_PROCESS_CALLS],
]) {
  const rows = [];
  for (const [kind, call] of Object.entries(callKinds(client))) {
    for (const [storeName, store] of STORES) {
      const r = await measure(call, store(), calls);
      rows.push({
        call: kind,
        "traced with": storeName,
        "untraced CPU µs/call": Math.round(r.off),
        "added CPU µs/call": Number(r.added.toFixed(1)),
        "added, min..max of rounds": `${Math.round(Math.min(...r.rounds))}..${Math.round(Math.max(...r.rounds))}`,
      });
    }
  }
  console.log(
    `\n@tracewright/anthropic over ${transport}: main-thread CPU added per call (process.threadCpuUsage), median of the differences of ${ROUNDS} interleaved rounds of ${calls} calls per side, after 2 warm-up rounds; @anthropic-ai/sdk ${sdkVersion}, node ${process.version}`,
  );
  console.table(rows);
}
await autolog({ disable: true });
server.kill();
