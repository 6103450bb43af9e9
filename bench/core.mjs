// Overhead of @tracewright/core's fluent API, against a plain call and a bare OpenTelemetry span.
// Run: pnpm bench:core   (builds core, then `node --expose-gc bench/core.mjs`)
import { context, trace as otelTrace } from "@opentelemetry/api";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import * as tw from "@tracewright/core";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const ROUNDS = 5;
const FLUSH_EVERY = 1000;

/** Discards traces: isolates the tracing path from storage, like OpenTelemetry's no-op exporter. */
class DiscardStore extends tw.InMemoryTraceStore {
  logTraces() {}
}
tw.setTraceStore(new DiscardStore());

const noopExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(noopExporter)] });
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

/** ns per operation: median of ROUNDS rounds of ITERATIONS calls, yielding every FLUSH_EVERY. */
async function measure(name, body, { isAsync = false } = {}) {
  const perOp = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) {
      if (isAsync) await body(i);
      else body(i);
      if (i % FLUSH_EVERY === FLUSH_EVERY - 1) await yieldToLoop();
    }
    await tw.flushTraces();
    const ns = Number(process.hrtime.bigint() - start) / ITERATIONS;
    if (round > 0) perOp.push(ns); // round 0 is warm-up
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(perOp.length / 2)];
  results.push({ name, nsPerOp: Math.round(median) });
  return median;
}

const results = [];

async function main() {
  tw.enableTracing();
  // A context manager is needed for the OpenTelemetry floor too; the first traced call registers it.
  tracedNoop(0);
  await tw.flushTraces();

  const plain = await measure("plain call", (i) => noop(i));
  const otelFloor = await measure("OpenTelemetry startActiveSpan (BatchSpanProcessor, no-op exporter)", (i) =>
    otelTracer.startActiveSpan("noop", (span) => {
      const r = noop(i);
      span.end();
      return r;
    }),
  );
  const traced = await measure("trace()-wrapped sync no-op, tracing on", (i) => tracedNoop(i));
  await measure("trace()-wrapped async no-op, tracing on", (i) => tracedAsyncNoop(i), { isAsync: true });
  await measure("plain async call", (i) => asyncNoop(i), { isAsync: true });
  await measure("withSpan(), tracing on", (i) => tw.withSpan({ name: "w" }, () => noop(i)));
  await measure("nested: traced call inside withSpan (2 spans)", (i) =>
    tw.withSpan({ name: "outer" }, () => tracedNoop(i)),
  );

  tw.disableTracing();
  const disabled = await measure("trace()-wrapped sync no-op, tracing OFF", (i) => tracedNoop(i));
  await measure("withSpan(), tracing OFF", (i) => tw.withSpan({ name: "w" }, () => noop(i)));
  tw.enableTracing();

  console.log(`\n@tracewright/core overhead (${ITERATIONS} calls x ${ROUNDS} rounds, median; node ${process.version})`);
  console.table(results);
  console.log(`traced no-op / OpenTelemetry floor: ${(traced / otelFloor).toFixed(2)}x (target <= 2x)`);
  console.log(`disabled tracing - plain call: ${(disabled - plain).toFixed(1)} ns (target <= 100 ns)`);

  await heapAfterSpans();
  await provider.shutdown();
  void context;
  void otelTrace;
}

async function heapAfterSpans() {
  if (!global.gc) {
    console.log("heap: run with --expose-gc to measure");
    return;
  }
  const store = new tw.InMemoryTraceStore();
  tw.setTraceStore(store);
  global.gc();
  const base = process.memoryUsage().heapUsed;
  const payload = { text: "x".repeat(100) };
  const child = tw.trace((p) => p, { name: "child" });
  for (let t = 0; t < 10_000; t++) {
    tw.withSpan({ name: "root", inputs: payload }, () => {
      for (let s = 0; s < 9; s++) child(payload);
    });
    if (t % 500 === 499) await tw.flushTraces();
  }
  await tw.flushTraces();
  global.gc();
  const stored = process.memoryUsage().heapUsed;
  store.clear();
  tw.setTraceStore(new DiscardStore());
  global.gc();
  await yieldToLoop();
  global.gc();
  const released = process.memoryUsage().heapUsed;
  const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `heap: baseline ${mb(base)}, 100k spans held in the in-memory store ${mb(stored)} (+${mb(stored - base)}), after release ${mb(released)} (+${mb(released - base)})`,
  );
}

await main();
