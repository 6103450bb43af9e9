// Soak: one long-lived process making many streamed chat completions with tracing on, a third of
// them abandoned unread (the stream object dropped) or broken off early (`break` in for-await),
// as a server handling many users does. Checks that the heap after GC ends where it started
// (within +5 MB) and that every call's trace is stored.
//
// - 10,000 streamed calls through the real `openai` client with `@tracewright/openai` autolog;
// - then 2,000 `ChatOpenAI.stream()` calls (`@langchain/openai`) with `@tracewright/langchain`
//   autolog (openai autolog stays on, as in an app that enables both; SOAK_LANGCHAIN_OPENAI_AUTOLOG=0
//   turns it off for that phase);
// - both against a loopback HTTP server in a child process (127.0.0.1 only; its memory and CPU
//   are not this process's) serving SSE chat.completion.chunk events in OpenAI's format, 30 to
//   300 chunks per reply;
// - traces go to the default embedded SQLite store, in a temporary directory.
//
// Prints PASS/FAIL lines for the heap and for the trace counts; exits 1 when any failed.
// Run: pnpm bench:soak (node --expose-gc bench/soak.mjs). Env: SOAK_OPENAI_CALLS, SOAK_LANGCHAIN_CALLS,
// SOAK_ABANDON=unread|break|none (which third-of-calls modes to use; default both),
// SOAK_TRACING=0 (control run: no autolog, so the heap figures are the libraries' own; a traced
// run does one at its end unless SOAK_CONTROL=0),
// SOAK_CONCURRENCY (calls in flight, default 8), SOAK_TIME_LIMIT_S (default 600), SOAK_KEEP=1 keeps the store.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatOpenAI } from "@langchain/openai";
import * as tw from "@tracewright/core";
import * as twLangchain from "@tracewright/langchain";
import * as twOpenai from "@tracewright/openai";
import OpenAI from "openai";

if (typeof globalThis.gc !== "function") {
  console.error("run with node --expose-gc bench/soak.mjs (or pnpm bench:soak)");
  process.exit(2);
}

const OPENAI_CALLS = Number(process.env.SOAK_OPENAI_CALLS ?? 10_000);
const LANGCHAIN_CALLS = Number(process.env.SOAK_LANGCHAIN_CALLS ?? 2_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 8);
const TIME_LIMIT_MS = Number(process.env.SOAK_TIME_LIMIT_S ?? 600) * 1000;
const TRACING = process.env.SOAK_TRACING !== "0";
const LANGCHAIN_WITH_OPENAI_AUTOLOG = process.env.SOAK_LANGCHAIN_OPENAI_AUTOLOG !== "0";
const HEAP_BUDGET_BYTES = 5 * 1024 * 1024;
const WARMUP_OPENAI = 120;
const WARMUP_LANGCHAIN = 60;
const MIN_CHUNKS = 30;
const MAX_CHUNKS = 300;

const started = performance.now();
const deadline = started + TIME_LIMIT_MS;
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
// the hard bound: whatever hangs, the process ends (the server child exits with its parent)
setTimeout(() => {
  console.log(`FAIL time: still running ${TIME_LIMIT_MS / 1000 + 120} s after the start; exiting`);
  process.exit(1);
}, TIME_LIMIT_MS + 120_000).unref();

// ---- the loopback server (child process) ---------------------------------------------------
// Each reply: a role chunk, content deltas, a finish_reason chunk and, when the request asks for
// stream_options.include_usage, a usage chunk with empty choices; then `data: [DONE]`. The
// chunk count is drawn per request from a seeded generator, 30 to 300.
const serverSource = `
const http = require("node:http");
const MIN = ${MIN_CHUNKS}, MAX = ${MAX_CHUNKS};
let seed = 12345, served = 0;
const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
const server = http.createServer((req, res) => {
  let raw = "";
  req.setEncoding("utf8");
  req.on("data", (d) => (raw += d));
  req.on("end", () => {
    let body;
    try { body = JSON.parse(raw); } catch { body = {}; }
    if (req.method !== "POST" || !req.url.endsWith("/chat/completions") || body.stream !== true) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "this server only streams chat completions", type: "invalid_request_error" } }));
      return;
    }
    const n = MIN + (next() % (MAX - MIN + 1));
    const id = "chatcmpl-soak" + (++served);
    const created = Math.floor(Date.now() / 1000);
    const base = { id, object: "chat.completion.chunk", created, model: "gpt-4o-mini-2024-07-18", service_tier: "default", system_fingerprint: "fp_soak" };
    const includeUsage = body.stream_options && body.stream_options.include_usage === true;
    const contentChunks = n - (includeUsage ? 3 : 2);
    const events = [];
    const ev = (o) => events.push("data: " + JSON.stringify(o) + "\\n\\n");
    ev({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }], usage: null });
    for (let i = 0; i < contentChunks; i++) {
      ev({ ...base, choices: [{ index: 0, delta: { content: (i ? " " : "") + "word" + i }, logprobs: null, finish_reason: null }], usage: null });
    }
    ev({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null });
    if (includeUsage) {
      const prompt = 12;
      ev({ ...base, choices: [], usage: { prompt_tokens: prompt, completion_tokens: contentChunks, total_tokens: prompt + contentChunks,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } } });
    }
    events.push("data: [DONE]\\n\\n");
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-soak-chunks": String(n) });
    // a few events per write, like a real stream arriving in pieces
    let i = 0;
    const pump = () => {
      while (i < events.length) {
        const ok = res.write(events.slice(i, i + 10).join(""));
        i += 10;
        if (!ok) { res.once("drain", pump); return; }
      }
      res.end();
    };
    res.on("error", () => {});
    pump();
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(0), ${TIME_LIMIT_MS + 150_000}).unref();
`;
const server = spawn(process.execPath, ["-e", serverSource], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
const { port } = await new Promise((resolve, reject) => {
  server.once("message", resolve);
  server.once("exit", (code) => reject(new Error(`loopback server exited (${code})`)));
});
const baseURL = `http://127.0.0.1:${port}/v1`;

// ---- tracing: default embedded SQLite store in a temp dir, both autologs --------------------
const dir = mkdtempSync(join(tmpdir(), "tw-soak-"));
const dbPath = join(dir, "traces.db");
tw.setTrackingUri(`sqlite://${dbPath}`);
const store = tw.getTraceStore();
if (TRACING) {
  await twOpenai.autolog();
  twLangchain.autolog();
}

const client = new OpenAI({ apiKey: "sk-soak", baseURL, maxRetries: 0, timeout: 60_000 });
const chatModel = new ChatOpenAI({
  model: "gpt-4o-mini",
  apiKey: "sk-soak",
  configuration: { baseURL },
  maxRetries: 0,
  timeout: 60_000,
  streamUsage: true,
});

/** How call i consumes its stream: 4 in 6 read to the end, 1 in 6 dropped unread, 1 in 6 broken off. */
const ABANDON = process.env.SOAK_ABANDON ?? "both"; // diagnostics: "unread" or "break" only, or "none"
const modeOf = (i) => {
  const m = i % 6 === 4 ? "unread" : i % 6 === 5 ? "break" : "full";
  return ABANDON === "both" || ABANDON === m ? m : "full";
};
/** Where a broken-off stream stops: after 1 to 20 chunks (every reply has at least 30). */
const breakAfter = (i) => 1 + (i % 20);

async function openaiCall(i) {
  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `Soak question ${i}: which ocean contains Bouvet Island?` }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const mode = modeOf(i);
  if (mode === "unread") return mode; // the Stream object is dropped here
  let n = 0;
  let usage = null;
  for await (const chunk of stream) {
    n++;
    if (chunk.usage) usage = chunk.usage;
    if (mode === "break" && n >= breakAfter(i)) break;
  }
  if (mode === "full" && (!usage || n < MIN_CHUNKS))
    throw new Error(`stream ${i} ended early: ${n} chunks, usage ${!!usage}`);
  return mode;
}

async function langchainCall(i) {
  const stream = await chatModel.stream([["human", `Soak question ${i}: which ocean contains Bouvet Island?`]]);
  const mode = modeOf(i);
  if (mode === "unread") return mode; // the stream is dropped here
  let n = 0;
  let text = "";
  for await (const chunk of stream) {
    n++;
    text += typeof chunk.content === "string" ? chunk.content : "";
    if (mode === "break" && n >= breakAfter(i)) break;
  }
  if (mode === "full" && !text.startsWith("word0")) throw new Error(`stream ${i} ended early: ${n} chunks`);
  return mode;
}

/** Runs `count` calls, CONCURRENCY in flight, until done or the deadline. */
async function runPhase(label, count, call) {
  const tally = { full: 0, unread: 0, break: 0, errors: 0, started: 0 };
  const firstErrors = [];
  let next = 0;
  let lastReport = performance.now();
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      tally.started++;
      try {
        tally[await call(i)]++;
      } catch (e) {
        tally.errors++;
        if (firstErrors.length < 3) firstErrors.push(`call ${i}: ${e?.message ?? e}`);
      }
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        const heap = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
        console.log(
          `  ${label}: ${tally.started}/${count} calls started, heap ${heap} MB (no forced GC), ${elapsed()}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  for (const e of firstErrors) console.log(`  ${label} error: ${e}`);
  return tally;
}

/** Heap after full GCs, letting FinalizationRegistry callbacks and the export queue run in between. */
async function heapAfterGc() {
  let last = 0;
  for (let round = 0; round < 8; round++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 25));
    await tw.flushTraces();
    last = process.memoryUsage().heapUsed;
  }
  return last;
}
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MB`;

/** Every trace of an experiment: counts by trace name and state, and the events on root spans. */
async function tracesOf(experimentId) {
  const byName = new Map();
  const rootEvents = new Map();
  let total = 0;
  let pageToken;
  do {
    const page = await store.searchTraces({ experimentIds: [experimentId], maxResults: 500, pageToken });
    for (const t of page.traces) {
      total++;
      const key = `${t.info.tags[tw.TraceTagKey.TRACE_NAME] ?? "?"} ${t.info.state}`;
      byName.set(key, (byName.get(key) ?? 0) + 1);
      const root = t.data.spans.find((sp) => !sp.parentId);
      for (const name of new Set((root?.events ?? []).map((e) => e.name))) {
        rootEvents.set(name, (rootEvents.get(name) ?? 0) + 1);
      }
    }
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return { total, byName, rootEvents };
}

console.log(
  `soak: ${OPENAI_CALLS} openai + ${LANGCHAIN_CALLS} LangChain streamed calls, ${CONCURRENCY} in flight, ` +
    `${MIN_CHUNKS}-${MAX_CHUNKS} chunks per reply, a third abandoned unread or broken off; node ${process.version}`,
);
console.log(`store: the default embedded SQLite store (sqlite://${dbPath})`);
console.log(
  TRACING
    ? `autolog: @tracewright/openai on for both phases${LANGCHAIN_WITH_OPENAI_AUTOLOG ? "" : " (off for the LangChain phase)"}, @tracewright/langchain on`
    : "autolog: OFF (SOAK_TRACING=0, control run: no traces expected, trace counts not checked)",
);

console.log(`heap after GC before the warm-up: ${mb(await heapAfterGc())}`);
// warm-up (module loading, JIT, store tables) in its own experiment, not counted
const warm = await tw.setExperiment("soak-warmup");
await runPhase("warm-up openai", WARMUP_OPENAI, openaiCall);
await runPhase("warm-up langchain", WARMUP_LANGCHAIN, langchainCall);
const heapStart = await heapAfterGc();
console.log(`heap after GC at start (after ${WARMUP_OPENAI + WARMUP_LANGCHAIN} warm-up calls): ${mb(heapStart)}`);

const openaiExp = await tw.setExperiment("soak-openai");
const openaiTally = await runPhase("openai", OPENAI_CALLS, openaiCall);
const heapMid = await heapAfterGc();
console.log(`heap after GC after the openai phase: ${mb(heapMid)} (${elapsed()})`);

if (TRACING && !LANGCHAIN_WITH_OPENAI_AUTOLOG) await twOpenai.autolog({ disable: true });
const langchainExp = await tw.setExperiment("soak-langchain");
const langchainTally = await runPhase("langchain", LANGCHAIN_CALLS, langchainCall);
const heapEnd = await heapAfterGc();
console.log(`heap after GC at end: ${mb(heapEnd)} (${elapsed()})`);

// ---- the verdicts ---------------------------------------------------------------------------
const results = [];
const verdict = (ok, line) => {
  results.push(ok);
  console.log(`${ok ? "PASS" : "FAIL"} ${line}`);
};
const timedOut = openaiTally.started < OPENAI_CALLS || langchainTally.started < LANGCHAIN_CALLS;
verdict(
  !timedOut,
  `time: ${openaiTally.started}/${OPENAI_CALLS} openai and ${langchainTally.started}/${LANGCHAIN_CALLS} LangChain calls made in ${elapsed()} (limit ${TIME_LIMIT_MS / 1000} s)`,
);
const delta = heapEnd - heapStart;
verdict(
  delta <= HEAP_BUDGET_BYTES,
  `heap: after GC ${mb(heapStart)} at start, ${mb(heapMid)} after openai, ${mb(heapEnd)} at end: ${delta >= 0 ? "+" : ""}${mb(delta)} (budget +5 MB)`,
);

const describe = (t) =>
  `${t.started} calls (${t.full} read to the end, ${t.unread} dropped unread, ${t.break} broken off, ${t.errors} failed)`;
for (const [label, tally, experiment, rootName] of [
  ["openai", openaiTally, openaiExp, "Completions"],
  ["LangChain", langchainTally, langchainExp, "ChatOpenAI"],
]) {
  const { total, byName, rootEvents } = await tracesOf(experiment.experimentId);
  const own = [...byName].filter(([k]) => k.startsWith(`${rootName} `)).reduce((s, [, n]) => s + n, 0);
  const breakdown = [...byName].map(([k, n]) => `${k}: ${n}`).join(", ") || "none";
  verdict(
    TRACING
      ? tally.errors === 0 && own === tally.started && total === tally.started
      : tally.errors === 0 && total === 0,
    `${label} traces: ${describe(tally)}; ${total} traces stored${TRACING ? `, ${own} of them ${rootName} roots` : " (0 expected: tracing off)"} [${breakdown}]`,
  );
  const events = [...rootEvents].map(([k, n]) => `${k}: ${n}`).join(", ") || "none";
  console.log(`     root span events (traces with at least one): ${events}`);
}
const warmTraces = await tracesOf(warm.experimentId);
console.log(
  `(warm-up: ${WARMUP_OPENAI + WARMUP_LANGCHAIN} calls, ${warmTraces.total} traces stored; not counted above)`,
);

server.disconnect();
server.kill();
if (process.env.SOAK_KEEP === "1") console.log(`store kept at ${dbPath}`);
else rmSync(dir, { recursive: true, force: true });

// The same calls with tracing off, in a fresh process: how much of the heap figure is the
// libraries' own (openai, LangChain, Node's fetch) rather than tracing's. Informational only.
if (TRACING && process.env.SOAK_CONTROL !== "0") {
  const control = spawnSync(process.execPath, ["--expose-gc", new URL(import.meta.url).pathname], {
    env: { ...process.env, SOAK_TRACING: "0", SOAK_CONTROL: "0" },
    encoding: "utf8",
    timeout: TIME_LIMIT_MS + 120_000,
  });
  const line = /heap: after GC .*$/m.exec(control.stdout ?? "")?.[0];
  const controlDelta = /at end: ([+-]?[\d.]+) MB/.exec(line ?? "")?.[1];
  if (controlDelta !== undefined) {
    const traced = delta / 2 ** 20;
    console.log(`control run without tracing (same calls, fresh process): ${line}`);
    console.log(
      `     so tracing itself adds ${(traced - Number(controlDelta)).toFixed(2)} MB of the ${traced >= 0 ? "+" : ""}${traced.toFixed(2)} MB`,
    );
    if (Number(controlDelta) * 2 ** 20 > HEAP_BUDGET_BYTES) {
      console.log(
        "     note: the libraries alone exceed the budget. Seen on Node 24 with openai 7: a stream read in part and then dropped\n" +
          "     (LangChain's .stream() reads the first chunk before it returns, so an unread LangChain stream is one) stays\n" +
          "     reachable through Node's fetch: undici's request finalizer holds the caller's AbortSignal, whose abort\n" +
          "     listener reaches the body reader (cf. nodejs/undici#5822). Try SOAK_ABANDON=unread / break to compare.",
      );
    }
  } else {
    console.log(`control run without tracing: no heap figure (${control.error?.message ?? `exit ${control.status}`})`);
  }
}
const failed = results.filter((ok) => !ok).length;
console.log(`soak: ${results.length - failed} passed, ${failed} failed, ${elapsed()}`);
process.exit(failed > 0 ? 1 : 0);
