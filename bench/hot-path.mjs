// The tracing hot path alone, in main-thread CPU (process.threadCpuUsage):
//   (a) a traced openai chat.completions.create call against the same call untraced, the HTTP
//       answered in process by a custom `fetch` returning a recorded response (no sockets, no
//       second process), traces handed to a store that only counts them;
//   (b) trace() against the bare OpenTelemetry startActiveSpan floor and withSpan(), sync and async.
// Interleaved rounds; the figure is the median of the per-round differences. Part (a) runs twice:
// calls back to back (the export queue only drains when the round ends, so finished traces live
// through many scavenges), and with an event-loop turn after each call, as real HTTP gives one.
// Run: pnpm turbo run build --filter=@tracewright/openai... && node bench/hot-path.mjs
// (BENCH_ONLY=a|b, BENCH_CALLS, BENCH_ROUNDS, BENCH_ITERATIONS, BENCH_SPAN_ROUNDS to vary it)
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import * as tw from "@tracewright/core";
import { autolog } from "@tracewright/openai";
import OpenAI from "openai";
import { VERSION as OPENAI_VERSION } from "openai/version";
import { median } from "./lib.mjs";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const CALL_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
// ~300 ms a round at ~1.3 µs a span: the thread CPU clock advances in 4 ms ticks here, so the
// 50,000 calls of before (~65 ms) were ±6 % in one tick
const SPAN_ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 250_000);
const SPAN_ROUNDS = Number(process.env.BENCH_SPAN_ROUNDS ?? 15);

/** Main-thread CPU time in µs. */
const cpuUs = () => {
  const u = process.threadCpuUsage();
  return u.user + u.system;
};

/** Counts the traces it is handed and keeps none: the tracing path without storage cost. */
class CountingStore extends tw.InMemoryTraceStore {
  count = 0;
  logTraces(traces) {
    this.count += traces.length;
  }
}
const store = new CountingStore();
tw.setTraceStore(store);

// ---- (a) openai chat calls ------------------------------------------------------------------
const recordings = new URL("../packages/testing/recordings/", import.meta.url);
const chatDef = JSON.parse(readFileSync(new URL("chat-completion-basic.json", recordings), "utf8"))[0];
const chatBody = gunzipSync(Buffer.from(chatDef.response.join(""), "hex")).toString("utf8");
const chatHeaders = { "content-type": "application/json" };

// The same fetch serves the traced and the untraced side, so their difference is tracing alone.
const client = new OpenAI({
  apiKey: "sk-bench",
  baseURL: "http://in-process/v1",
  maxRetries: 0,
  fetch: async () => new Response(chatBody, { status: 200, headers: chatHeaders }),
});
const params = chatDef.body;

/** CPU µs per call over `CALLS` sequential calls, traces flushed to the store inside the measure. */
async function chatRound(turnEachCall) {
  const t0 = cpuUs();
  for (let i = 0; i < CALLS; i++) {
    await client.chat.completions.create(params);
    // a real HTTP call gives the event loop a turn, in which the export queue takes the trace
    if (turnEachCall) await yieldToLoop();
  }
  await tw.flushTraces();
  return (cpuUs() - t0) / CALLS;
}

async function chatCalls(turnEachCall) {
  const plain = [];
  const traced = [];
  const diffs = [];
  const before = store.count;
  for (let r = -2; r < CALL_ROUNDS; r++) {
    // alternate which side runs first, so neither always follows the other's garbage
    const order = r % 2 === 0 ? [false, true] : [true, false];
    const cost = {};
    for (const on of order) {
      await autolog(on ? {} : { disable: true });
      cost[on] = await chatRound(turnEachCall);
    }
    if (r < 0) continue; // warm-up
    plain.push(cost.false);
    traced.push(cost.true);
    diffs.push(cost.true - cost.false);
  }
  await autolog({ disable: true });
  const stored = store.count - before;
  const expected = (CALL_ROUNDS + 2) * CALLS;
  if (stored !== expected) throw new Error(`expected ${expected} traces in the store, got ${stored}`);
  return { plain: median(plain), traced: median(traced), added: median(diffs), spread: spread(diffs) };
}

/** The interquartile range of per-round differences, to show how noisy the figure is. */
function spread(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return [s[Math.floor(s.length / 4)], s[Math.floor((3 * s.length) / 4)]];
}

// ---- (b) manual spans -------------------------------------------------------------------------
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} })],
});
const otelTracer = provider.getTracer("bench");

function noop(x) {
  return x;
}
async function asyncNoop(x) {
  return x;
}
const tracedNoop = tw.trace(noop, { name: "noop" });
const tracedAsyncNoop = tw.trace(asyncNoop, { name: "asyncNoop" });
const yieldToLoop = () => new Promise((r) => setImmediate(r));

const variants = {
  "plain call": { sync: (i) => noop(i), async: (i) => asyncNoop(i) },
  "OpenTelemetry startActiveSpan": {
    sync: (i) =>
      otelTracer.startActiveSpan("noop", (span) => {
        const r = noop(i);
        span.end();
        return r;
      }),
    async: (i) =>
      otelTracer.startActiveSpan("noop", async (span) => {
        const r = await asyncNoop(i);
        span.end();
        return r;
      }),
  },
  "trace()": { sync: (i) => tracedNoop(i), async: (i) => tracedAsyncNoop(i) },
  "withSpan()": {
    sync: (i) => tw.withSpan({ name: "w" }, () => noop(i)),
    async: (i) => tw.withSpan({ name: "w" }, () => asyncNoop(i)),
  },
  // what trace() records: the same inputs, so the difference is the wrapping alone
  "withSpan() with the same inputs": {
    sync: (i) => tw.withSpan({ name: "w", inputs: { x: i } }, () => noop(i)),
    async: (i) => tw.withSpan({ name: "w", inputs: { x: i } }, () => asyncNoop(i)),
  },
};

/** CPU ns per operation of one round; traces are flushed inside the measure. */
async function spanRound(body, isAsync) {
  const t0 = cpuUs();
  for (let i = 0; i < SPAN_ITERATIONS; i++) {
    if (isAsync) await body(i);
    else body(i);
    if (i % 1000 === 999) await yieldToLoop(); // let the export queue and the batch processor run
  }
  await tw.flushTraces();
  return ((cpuUs() - t0) * 1000) / SPAN_ITERATIONS;
}

async function manualSpans(kind) {
  const names = Object.keys(variants);
  const perRound = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -2; r < SPAN_ROUNDS; r++) {
    // rotate the order each round so drift does not favour one variant
    const order = names.map((_, k) => names[(k + r + 2) % names.length]);
    const cost = {};
    for (const n of order) cost[n] = await spanRound(variants[n][kind], kind === "async");
    if (r >= 0) for (const n of names) perRound[n].push(cost[n]);
  }
  const ratio = (a, b) => median(perRound[a].map((x, k) => x / perRound[b][k]));
  const diff = (a, b) => median(perRound[a].map((x, k) => x - perRound[b][k]));
  return {
    ns: Object.fromEntries(names.map((n) => [n, median(perRound[n])])),
    traceVsFloor: ratio("trace()", "OpenTelemetry startActiveSpan"),
    addedVsFloor:
      diff("trace()", "plain call") /
      median(perRound["OpenTelemetry startActiveSpan"].map((x, k) => x - perRound["plain call"][k])),
    traceMinusWithSpan: diff("trace()", "withSpan()"),
    traceMinusWithSpanInputs: diff("trace()", "withSpan() with the same inputs"),
  };
}

// ---- run --------------------------------------------------------------------------------------
tw.enableTracing();
tracedNoop(0); // registers the context manager that the OpenTelemetry floor needs as well
await tw.flushTraces();

const ONLY = process.env.BENCH_ONLY; // "a" or "b" to run one part
if (ONLY !== "b") {
  const rows = {};
  for (const turnEachCall of [false, true]) {
    const chat = await chatCalls(turnEachCall);
    if (chat.added <= 0)
      throw new Error(`negative or zero overhead (${chat.added.toFixed(1)} µs): the method is broken`);
    rows[turnEachCall ? "an event-loop turn after each call" : "back to back (the queue drains at the end)"] = {
      "untraced µs/call": chat.plain.toFixed(1),
      "traced µs/call": chat.traced.toFixed(1),
      "added µs/call": chat.added.toFixed(1),
      "added, interquartile range": `${chat.spread[0].toFixed(1)} .. ${chat.spread[1].toFixed(1)}`,
    };
  }
  console.log(
    `\n(a) openai ${OPENAI_VERSION} chat.completions.create, in-process fetch (recorded reply), counting store; ` +
      `${CALLS} calls x ${CALL_ROUNDS} interleaved rounds; main-thread CPU, added = median of per-round differences; node ${process.version}`,
  );
  console.table(rows);
  console.log("target: <= 30 µs added main-thread CPU per traced chat call");
}

for (const kind of ONLY === "a" ? [] : ["sync", "async"]) {
  const m = await manualSpans(kind);
  console.log(`\n(b) ${kind}: CPU ns/op, ${SPAN_ITERATIONS} calls x ${SPAN_ROUNDS} rotated rounds, median`);
  console.table(Object.fromEntries(Object.entries(m.ns).map(([k, v]) => [k, Math.round(v)])));
  console.log(
    `trace() / startActiveSpan: ${m.traceVsFloor.toFixed(2)}x (target <= 1.5x); ` +
      `added over a plain call, trace() / startActiveSpan: ${m.addedVsFloor.toFixed(2)}x; ` +
      `trace() - withSpan(): ${Math.round(m.traceMinusWithSpan)} ns (target <= 0); ` +
      `trace() - withSpan() recording the same inputs: ${Math.round(m.traceMinusWithSpanInputs)} ns`,
  );
}
await provider.shutdown();
