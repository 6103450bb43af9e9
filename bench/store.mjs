// Embedded SQLite store: sustained ingest (traces of 10 spans, 1 KB inputs/outputs) and
// searchTraces latency with 100k traces stored.
// Run: pnpm bench:store   (BENCH_SEARCH_TRACES=100000 by default)
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tw from "@tracewright/core";

const INGEST_TRACES = Number(process.env.BENCH_INGEST_TRACES ?? 5_000);
const SEARCH_TRACES = Number(process.env.BENCH_SEARCH_TRACES ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), "tw-bench-store-"));
const kb = (seed) => ({ text: `${seed}:`.padEnd(1024, "x") });

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function ingestEndToEnd() {
  const path = join(dir, "ingest.db");
  tw.setTrackingUri(`sqlite://${path}`);
  const step = tw.trace((input) => ({ ...input, done: true }), { name: "step" });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < INGEST_TRACES; i++) {
    tw.withSpan({ name: "root", inputs: kb(i) }, (span) => {
      for (let s = 0; s < 9; s++) step(kb(s));
      span.setOutputs(kb(i));
    });
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  await tw.flushTraces();
  const elapsed = ms(t0);
  const store = tw.getTraceStore();
  const count = store.countTraces();
  if (count !== INGEST_TRACES) throw new Error(`expected ${INGEST_TRACES} traces, found ${count}`);
  return { spansPerSec: (INGEST_TRACES * 10) / (elapsed / 1000), mb: statSync(path).size / 1e6 };
}

function makeTraces(n, startIndex, payload) {
  const traces = [];
  for (let i = 0; i < n; i++) {
    const idx = startIndex + i;
    const hex = idx.toString(16).padStart(32, "0");
    const time = 1_700_000_000_000 + idx * 1000;
    const spans = [];
    for (let s = 0; s < 10; s++) {
      spans.push(
        tw.Span.fromDict({
          trace_id: hex,
          span_id: (idx * 16 + s + 1).toString(16).padStart(16, "0"),
          parent_span_id: s === 0 ? null : (idx * 16 + 1).toString(16).padStart(16, "0"),
          name: s === 0 ? "root" : `step-${s}`,
          start_time_unix_nano: time * 1e6,
          end_time_unix_nano: (time + 5) * 1e6,
          events: [],
          status: { code: "STATUS_CODE_OK", message: "" },
          attributes: {
            "mlflow.traceRequestId": JSON.stringify(`tr-${hex}`),
            "mlflow.spanType": '"CHAIN"',
            "mlflow.spanInputs": JSON.stringify(payload(idx)),
            "mlflow.spanOutputs": JSON.stringify(payload(idx)),
          },
        }),
      );
    }
    const info = new tw.TraceInfo({
      traceId: `tr-${hex}`,
      experimentId: "0",
      requestTime: time,
      executionDuration: 5 + (idx % 100),
      state: idx % 10 === 0 ? "ERROR" : "OK",
      tags: { "mlflow.traceName": "root", env: ["prod", "dev", "staging"][idx % 3], user: `u${idx % 1000}` },
      traceMetadata: { "mlflow.trace_schema.version": "3" },
    });
    traces.push(new tw.Trace(info, new tw.TraceData(spans)));
  }
  return traces;
}

function ingestStoreOnly() {
  const store = new tw.SqliteTraceStore(join(dir, "store-only.db"));
  const batch = 100;
  let elapsed = 0;
  for (let i = 0; i < INGEST_TRACES; i += batch) {
    const traces = makeTraces(batch, i, kb);
    const t0 = process.hrtime.bigint();
    store.logTraces(traces);
    elapsed += ms(t0);
  }
  store.close();
  return (INGEST_TRACES * 10) / (elapsed / 1000);
}

function searchLatency() {
  const store = new tw.SqliteTraceStore(join(dir, "search.db"));
  const small = (i) => ({ q: `question ${i}` });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SEARCH_TRACES; i += 1000)
    store.logTraces(makeTraces(Math.min(1000, SEARCH_TRACES - i), i, small));
  const fillSeconds = ms(t0) / 1000;
  const mid = 1_700_000_000_000 + Math.floor(SEARCH_TRACES / 2) * 1000;
  const queries = {
    "tag filter (tags.env = 'prod')": { filterString: "tags.env = 'prod'" },
    "timestamp range (10% of traces)": {
      filterString: `attributes.timestamp_ms >= ${mid} AND attributes.timestamp_ms < ${mid + SEARCH_TRACES * 100}`,
    },
    "order by timestamp (no filter)": { orderBy: ["timestamp_ms DESC"] },
    "tag + status + order by duration": {
      filterString: "tags.env = 'dev' AND attributes.status = 'OK'",
      orderBy: ["execution_time_ms DESC"],
    },
  };
  const results = [];
  for (const [name, q] of Object.entries(queries)) {
    const times = [];
    let n = 0;
    for (let r = 0; r < 11; r++) {
      const s = process.hrtime.bigint();
      n = store.searchTraces({ experimentIds: ["0"], maxResults: 100, ...q }).traces.length;
      times.push(ms(s));
    }
    results.push({ query: name, "first page (traces)": n, "median ms": median(times.slice(1)).toFixed(1) });
  }
  const size = statSync(join(dir, "search.db")).size / 1e6;
  store.close();
  return { results, fillSeconds, size };
}

const e2e = await ingestEndToEnd();
const storeOnly = ingestStoreOnly();
console.log(
  `\nEmbedded store ingest (${INGEST_TRACES} traces x 10 spans, 1 KB inputs + 1 KB outputs per span; node ${process.version})`,
);
console.log(
  `  end to end (trace() + withSpan -> async queue -> SQLite): ${Math.round(e2e.spansPerSec)} spans/s (target >= 20,000)`,
);
console.log(`  store only (SqliteTraceStore.logTraces, batches of 100 traces): ${Math.round(storeOnly)} spans/s`);
const search = searchLatency();
console.log(
  `\nsearchTraces with ${SEARCH_TRACES} traces (${SEARCH_TRACES * 10} spans, ${search.size.toFixed(0)} MB, filled in ${search.fillSeconds.toFixed(1)} s), first page of 100, median of 10 (target < 50 ms):`,
);
console.table(search.results);
rmSync(dir, { recursive: true, force: true });
