// Overhead of @tracewright/openai autolog on real openai calls: the real client against a
// loopback server (a separate process) serving recorded bodies. Plain vs autologged, interleaved.
// Run: pnpm bench:openai
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import * as tw from "@tracewright/core";
import { autolog } from "@tracewright/openai";
import OpenAI from "openai";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const WARMUP = 200;
const BLOCK = 200;
const recordings = new URL("../packages/testing/recordings/", import.meta.url);

// ---- the recorded bodies ------------------------------------------------------------------
const chatDef = JSON.parse(readFileSync(new URL("chat-completion-basic.json", recordings), "utf8"))[0];
const chatBody = gunzipSync(Buffer.from(chatDef.response.join(""), "hex")).toString("utf8");
const streamDef = JSON.parse(readFileSync(new URL("chat-streaming-include-usage.json", recordings), "utf8"))[0];
const events = streamDef.response
  .split("\n\n")
  .filter((e) => e.startsWith("data: {"))
  .map((e) => JSON.parse(e.slice(6)));
const contentChunk = events.find((e) => e.choices?.[0]?.delta?.content);
const usageChunk = events.find((e) => e.usage);
/** An SSE body of `n` chunks: n-1 content deltas and the final usage chunk. */
function sseOf(n) {
  const chunks = [];
  for (let i = 0; i < n - 1; i++) {
    chunks.push({ ...contentChunk, choices: [{ ...contentChunk.choices[0], delta: { content: `word${i} ` } }] });
  }
  chunks.push(usageChunk);
  return `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("")}data: [DONE]\n\n`;
}
const STREAM_CHUNKS = 20;
const LONG_STREAM_CHUNKS = 100;

void STREAM_CHUNKS;
// ---- the loopback server, in its own process so its CPU is not counted ----------------------
const serverSource = `
const http = require("node:http");
const [chat, sse, longSse] = [process.env.CHAT_BODY, process.env.SSE_BODY, process.env.LONG_SSE_BODY];
const server = http.createServer((req, res) => {
  let body = ""; req.on("data", (d) => (body += d));
  req.on("end", () => {
    const stream = body.includes('"stream":true');
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    res.end(stream ? (body.includes('"long"') ? longSse : sse) : chat);
  });
});
server.listen(0, "127.0.0.1", () => process.send(server.address().port));
`;
const server = fork("-e", [serverSource], {
  execArgv: ["-e", serverSource],
  env: {
    ...process.env,
    CHAT_BODY: chatBody,
    SSE_BODY: sseOf(STREAM_CHUNKS),
    LONG_SSE_BODY: sseOf(LONG_STREAM_CHUNKS),
  },
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const port = await new Promise((resolve) => server.once("message", resolve));

class DiscardStore extends tw.InMemoryTraceStore {
  logTraces() {}
}
const client = new OpenAI({ apiKey: "sk-bench", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
const params = { model: "gpt-4o-mini", messages: [{ role: "user", content: "Which ocean contains Bouvet Island?" }] };

/** stream: 0 (none), or the number of chunks the server sends. */
async function callOnce(stream) {
  if (!stream) return client.chat.completions.create(params);
  const user = stream === LONG_STREAM_CHUNKS ? "long" : "short";
  const s = await client.chat.completions.create({
    ...params,
    user,
    stream: true,
    stream_options: { include_usage: true },
  });
  let n = 0;
  for await (const _ of s) n++;
  if (n !== stream) throw new Error(`expected ${stream} chunks, got ${n}`);
}

/** Runs `count` sequential calls; returns per-call wall latencies and CPU times (µs). */
async function block(count, stream) {
  const latencies = [];
  // CPU is read as the event loop's active time (hrtime-based), not process.cpuUsage(): the
  // kernel accounts rusage in ticks, far too coarse for ~0.5 ms calls. The server runs in its
  // own process, so the main thread's active time is the client's CPU, store work included.
  const e0 = performance.eventLoopUtilization();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await callOnce(stream);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  await tw.flushTraces();
  const e = performance.eventLoopUtilization(e0);
  return { latencies, cpus: [(e.active * 1000) / count] };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);

async function compare(stream, storeName, store) {
  tw.setTraceStore(store);
  await autolog();
  await block(WARMUP, stream);
  await autolog({ disable: true });
  await block(WARMUP, stream);
  const plain = { lat: [], cpu: [] };
  const traced = { lat: [], cpu: [] };
  for (let done = 0; done < CALLS; done += BLOCK) {
    await autolog({ disable: true });
    const p = await block(BLOCK, stream);
    await autolog();
    const t = await block(BLOCK, stream);
    plain.lat.push(...p.latencies);
    plain.cpu.push(...p.cpus);
    traced.lat.push(...t.latencies);
    traced.cpu.push(...t.cpus);
  }
  return {
    call: stream ? `chat, streamed (${stream} chunks)` : "chat, non-streaming",
    store: storeName,
    "plain median µs": Math.round(median(plain.lat)),
    "added median µs": Math.round(median(traced.lat) - median(plain.lat)),
    "added p99 µs": Math.round(pct(traced.lat, 99) - pct(plain.lat, 99)),
    "plain CPU µs/call": Math.round(median(plain.cpu)),
    "added CPU µs/call": Math.round(median(traced.cpu) - median(plain.cpu)),
  };
}

// ---- in process: the real client with a fetch that answers from memory -------------------
// No sockets and no second process, so the time of N sequential calls is CPU time of this
// thread: a precise measure of what tracing adds (the loopback table above is the realistic
// but noisy one).
const encoder = new TextEncoder();
function inMemoryFetch() {
  const sse = { 20: sseOf(STREAM_CHUNKS), 100: sseOf(LONG_STREAM_CHUNKS) };
  return async (_url, init) => {
    const body = String(init?.body ?? "");
    if (!body.includes('"stream":true')) {
      return new Response(chatBody, { status: 200, headers: { "content-type": "application/json" } });
    }
    const events = sse[body.includes('"long"') ? 100 : 20].split("\n\n").filter(Boolean);
    const stream = new ReadableStream({
      start(controller) {
        for (const e of events) controller.enqueue(encoder.encode(`${e}\n\n`));
        controller.close();
      },
    });
    return new Response(stream, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
}
const memClient = new OpenAI({
  apiKey: "sk-bench",
  baseURL: "http://in-memory/v1",
  maxRetries: 0,
  fetch: inMemoryFetch(),
});

async function memBlock(count, stream) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    if (!stream) {
      await memClient.chat.completions.create(params);
      continue;
    }
    const user = stream === LONG_STREAM_CHUNKS ? "long" : "short";
    const s = await memClient.chat.completions.create({ ...params, user, stream: true });
    for await (const _ of s);
  }
  await tw.flushTraces();
  return Number(process.hrtime.bigint() - t0) / 1e3 / count;
}

async function memCompare(stream) {
  tw.setTraceStore(new DiscardStore());
  const plain = [];
  const traced = [];
  for (let round = 0; round < 12; round++) {
    await autolog({ disable: true });
    const p = await memBlock(500, stream);
    await autolog();
    const t = await memBlock(500, stream);
    if (round >= 2) {
      plain.push(p);
      traced.push(t);
    }
  }
  return { plain: median(plain), added: median(traced) - median(plain) };
}

const memRows = [];
for (const stream of [0, STREAM_CHUNKS, LONG_STREAM_CHUNKS]) {
  const r = await memCompare(stream);
  memRows.push({
    call: stream ? `chat, streamed (${stream} chunks)` : "chat, non-streaming",
    "plain CPU µs/call": r.plain.toFixed(1),
    "added CPU µs/call": r.added.toFixed(1),
  });
}
console.log(
  `\nIn process (openai's fetch option, no sockets), 5000 calls per side, median of 10 interleaved rounds; traces discarded:`,
);
console.table(memRows);
const memPerChunk =
  (Number(memRows[2]["added CPU µs/call"]) - Number(memRows[1]["added CPU µs/call"])) /
  (LONG_STREAM_CHUNKS - STREAM_CHUNKS);
console.log(
  `added CPU per non-streaming call: ${memRows[0]["added CPU µs/call"]} µs (target < 30); per streamed chunk: ${memPerChunk.toFixed(2)} µs (target < 2)`,
);

const rows = [];
rows.push(await compare(0, "discard (tracing only)", new DiscardStore()));
rows.push(await compare(STREAM_CHUNKS, "discard (tracing only)", new DiscardStore()));
rows.push(await compare(LONG_STREAM_CHUNKS, "discard (tracing only)", new DiscardStore()));
rows.push(await compare(0, "in-memory store", new tw.InMemoryTraceStore()));
rows.push(await compare(STREAM_CHUNKS, "in-memory store", new tw.InMemoryTraceStore()));
console.log(
  `\nOver loopback HTTP: @tracewright/openai overhead, ${CALLS} calls per side after ${WARMUP} warm-up, interleaved blocks of ${BLOCK}; node ${process.version}`,
);
console.table(rows);
const perChunk = (rows[2]["added CPU µs/call"] - rows[1]["added CPU µs/call"]) / (LONG_STREAM_CHUNKS - STREAM_CHUNKS);
console.log(`marginal added CPU per streamed chunk (100- vs 20-chunk streams): ${perChunk.toFixed(2)} µs`);
console.log("targets: < 30 µs added CPU per non-streaming call, < 2 µs added CPU per streamed chunk");
server.kill();
