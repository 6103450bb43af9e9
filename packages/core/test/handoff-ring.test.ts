/**
 * The shared-memory ring between the app's thread and the embedded store's writer thread: frames
 * read back as written (wrapping at the end, UTF-8 of any width), the ring refuses what does not
 * fit instead of overwriting what the writer has not committed, and through the real store a
 * ring far smaller than the traffic wraps thousands of times, a batch larger than the ring goes
 * alone as a message, and a writer thread that dies leaves its batches for the app's thread.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  AssessmentSource,
  Feedback,
  flushTraces,
  getExportStats,
  InMemoryTraceStore,
  Span,
  SpanType,
  SqliteTraceStore,
  setTraceStore,
  startSpan,
  Trace,
  TraceData,
  TraceInfo,
  trace,
  withSpan,
} from "../src/index.js";
import { Control, RingWriter, readRingFrame } from "../src/store/sqlite/handoff-ring.js";
import { packTraces, unpackFrame } from "../src/store/sqlite/trace-records.js";
import { HandoffFullError } from "../src/store/sqlite/write-handoff.js";

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-ring-")), "traces.db");
const distEntry = join(fileURLToPath(new URL(".", import.meta.url)), "..", "dist", "index.js");
const countRows = (path: string): number => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM traces").get() as { n: number }).n;
  } finally {
    db.close();
  }
};

afterEach(() => setTraceStore(null));

/** A span as the batch writer's record holds it (batch-writer.ts `TraceRecord`). */
const spanRecordOf = (s: Span) => [
  s.spanId,
  s.parentId,
  s.name,
  s.spanType,
  s.status.statusCode,
  s.startTimeNs,
  s.endTimeNs,
];

/** Plays the writer thread: reads every published frame, then frees them as committed. */
function drainAsWriter(
  ring: RingWriter,
  from: number,
): { frames: Array<{ seq: number; strings: string[]; nums: number[] }>; at: number } {
  const words = new Int32Array(ring.data.buffer);
  const frames: Array<{ seq: number; strings: string[]; nums: number[] }> = [];
  let at = from;
  let freed = 0;
  let last = 0;
  while (at !== Atomics.load(ring.control, Control.HEAD)) {
    const f = readRingFrame(ring.data, words, at);
    frames.push({ seq: f.seq, strings: f.strings, nums: [...f.nums] });
    freed += f.bytes;
    last = f.seq;
    at = f.next;
  }
  Atomics.store(ring.control, Control.TAIL, at);
  Atomics.sub(ring.control, Control.USED, freed);
  if (last > 0) Atomics.store(ring.control, Control.PROGRESS, last);
  return { frames, at };
}

describe("the ring", () => {
  it("reads back every frame as written, its strings and numbers, across thousands of wraps, in any UTF-8 width", () => {
    const ring = new RingWriter(1024);
    const texts = ["plain", "é accentué", "日本語のテキスト", "emoji 🧭🛰️", "", "x".repeat(300)];
    let at = 0;
    let seq = 0;
    type Sent = { strings: string[]; nums: number[] };
    const seen: Sent[] = [];
    const sent: Sent[] = [];
    for (let round = 0; round < 3000; round++) {
      const strings = [texts[round % texts.length] as string, `${round}`, texts[(round * 7) % texts.length] as string];
      // none to many, the 32-bit extremes among them
      const nums = [round, -round, 2147483647, -2147483648, 0, round * 65_537].slice(0, round % 7);
      expect(ring.tryWrite(++seq, strings, nums)).toBe("written");
      sent.push({ strings, nums });
      if (round % 3 === 2) {
        const got = drainAsWriter(ring, at);
        at = got.at;
        seen.push(...got.frames.map((f) => ({ strings: f.strings, nums: f.nums })));
      }
    }
    seen.push(...drainAsWriter(ring, at).frames.map((f) => ({ strings: f.strings, nums: f.nums })));
    expect(seen).toEqual(sent);
    expect(Atomics.load(ring.control, Control.USED)).toBe(0);
  });

  it("says an empty ring can never take a frame larger than the room on either side of its head", () => {
    const ring = new RingWriter(1000);
    // the head ends up at 600 (a header of 20 bytes, the string, and a count of no numbers): then
    // 400 bytes before the end, 596 before the head
    expect(ring.tryWrite(1, ["a".repeat(576)])).toBe("written");
    const at = drainAsWriter(ring, 0).at;
    expect(at).toBe(600);
    expect(ring.empty).toBe(true);
    // with nothing left to commit the head never moves: "full" (try again later) was for ever;
    // "too-large" sends it as a message (the store's tests: it is stored)
    expect(ring.tryWrite(2, ["b".repeat(700)])).toBe("too-large");
    // what fits on one side still goes into the ring
    expect(ring.tryWrite(3, ["c".repeat(500)])).toBe("written");
    expect(drainAsWriter(ring, at).frames).toEqual([{ seq: 3, strings: ["c".repeat(500)], nums: [] }]);
  });

  it("refuses a frame that does not fit rather than overwrite what is not committed, and says when one never can", () => {
    const ring = new RingWriter(256);
    let seq = 0;
    const written: number[] = [];
    for (;;) {
      const r = ring.tryWrite(++seq, ["y".repeat(40)]);
      if (r === "full") break;
      expect(r).toBe("written");
      written.push(seq);
    }
    expect(written.length).toBeGreaterThan(2);
    // what the writer has not freed is intact, and readable for an exit
    expect(ring.uncommitted().map((f) => f.seq)).toEqual(written);
    expect(ring.uncommitted().every((f) => f.strings[0] === "y".repeat(40))).toBe(true);
    expect(ring.tryWrite(++seq, ["z".repeat(300)])).toBe("too-large");
    // once the writer frees them, there is room again
    drainAsWriter(ring, 0);
    expect(ring.empty).toBe(true);
    expect(ring.tryWrite(++seq, ["y".repeat(40)])).toBe("written");
  });
});

describe("a span packed for the writer thread", () => {
  it("unpacks to exactly the JSON the span's toDict() gives, whatever the span holds", async () => {
    const memory = new InMemoryTraceStore();
    setTraceStore(memory);
    withSpan(
      { name: 'root ✓ "quoted"', spanType: SpanType.AGENT, inputs: { q: 'a "b" \\ c\n', n: [1, 2] } },
      (root) => {
        root.setAttribute("10", "numeric-looking key");
        root.setAttribute("weird key \u0000 with nul", { nested: { deep: true } });
        root.setAttribute("text with nul", "a\u0000b");
        root.addEvent("evt", { k: "v", n: 3 });
        const child = startSpan({ name: "child", spanType: SpanType.TOOL, inputs: "日本語" });
        child.setOutputs({ emoji: "🧭" });
        child.end({ status: "ERROR" });
        root.setOutputs(null);
      },
    );
    await flushTraces();
    const t = memory.searchTraces({ experimentIds: ["0"] }).traces[0];
    expect(t).toBeDefined();
    // with an assessment, a client request id and a tag with a comma
    t?.info.assessments.push(
      new Feedback({
        traceId: t.info.traceId,
        name: "correct",
        value: true,
        source: new AssessmentSource({ sourceType: "HUMAN", sourceId: "alice" }),
      }),
    );
    if (t) t.info.tags["a,b"] = "c,d";
    const traces = [t as never, t as never];
    const frame = packTraces(traces);
    const unpacked = unpackFrame(frame);
    // span by span, exactly what toDict() gives
    const all = traces.flatMap((x: { data: { spans: Array<{ toDict(): unknown }> } }) => x.data.spans);
    expect(unpacked.contents).toEqual(all.map((s) => JSON.stringify(s.toDict())));
    // and the trace's fields as the batch writer reads them
    const info = t?.info;
    const record = (unpacked.records as unknown[][])[0] as unknown[];
    expect(record.slice(0, 8)).toEqual([
      info?.traceId,
      info?.experimentId,
      info?.clientRequestId,
      info?.requestTime,
      info?.executionDuration,
      info?.state,
      info?.requestPreview,
      info?.responsePreview,
    ]);
    expect(record[8]).toEqual(info?.tags);
    expect(record[9]).toEqual(info?.traceMetadata);
    expect((record[10] as unknown[]).length).toBe(1);
    expect((record[10] as unknown[][])[0]?.[2]).toBe("correct");
    expect((record[8] as Record<string, string>)["a,b"]).toBe("c,d");
    expect(record[11]).toEqual(t?.data.spans.map(spanRecordOf));
    // the bulky values went as they are, not re-encoded on the app's thread
    const inputs = t?.data.spans[0]?.rawAttribute("mlflow.spanInputs");
    expect(frame.strings).toContain(inputs);
  });
});

describe("a frame of traces of any shape", () => {
  it("unpacks every trace as it was, whatever repeats from the trace or span before it", () => {
    // a seeded generator (the same traces on every run): each map keeps, changes some values of,
    // or replaces the previous one's keys, with 0 to 35 keys (the masks cover the first 30)
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)] as T;
    const hex = (n: number): string => Array.from({ length: n }, () => pick([..."0123456789abcdef"])).join("");
    const b64 = (h: string): string => Buffer.from(h, "hex").toString("base64");
    const values = ["", "a", "b", '"x"', "1", "日本", "a,b"];
    // times go as their doubles' halves: values past 2^53, a fraction, zero, a negative one
    const times = [0, 1, -1, 1_796_156_678_292 * 1e6 + 514_000, 1.7e18 + 5_000_123, 2 ** 62 + 2 ** 11, 1.5, 2 ** 31];
    const msTimes = [5, 1_796_156_678_292, 1_796_156_678_292.25, 0, 2 ** 32 + 1];
    const nextMap = (prev: Record<string, string> | undefined): Record<string, string> => {
      const r = rnd();
      if (prev && r < 0.4) return { ...prev };
      const out: Record<string, string> = {};
      if (prev && r < 0.7) {
        for (const k of Object.keys(prev)) out[k] = rnd() < 0.5 ? (prev[k] as string) : pick(values);
        return out;
      }
      const n = pick([0, 1, 2, 5, 29, 30, 31, 35]);
      const offset = pick([0, 3]);
      for (let i = 0; i < n; i++) out[`k${i + offset}`] = pick(values);
      return out;
    };
    for (let round = 0; round < 300; round++) {
      const traces: Trace[] = [];
      let tags: Record<string, string> | undefined;
      let metadata: Record<string, string> | undefined;
      let attributes: Record<string, string> | undefined;
      // spans of one trace with either of two OpenTelemetry trace ids
      const otelIds = [hex(32), hex(32)];
      for (let t = 1 + Math.floor(rnd() * 5); t > 0; t--) {
        const spans: Span[] = [];
        for (let s = Math.floor(rnd() * 4); s > 0; s--) {
          attributes = nextMap(attributes);
          spans.push(
            Span.fromDict({
              trace_id: b64(pick(otelIds)),
              span_id: b64(hex(16)),
              parent_span_id: rnd() < 0.5 ? null : b64(hex(16)),
              name: pick(["", "n", "m"]),
              start_time_unix_nano: pick(times),
              end_time_unix_nano: rnd() < 0.3 ? null : pick(times),
              events: rnd() < 0.2 ? [{ name: "e", time_unix_nano: 3, attributes: { a: 1 } }] : [],
              status: {
                code: pick(["STATUS_CODE_OK", "STATUS_CODE_ERROR", "STATUS_CODE_UNSET"]),
                message: pick(["", "m"]),
              },
              // (values as they are: JSON text already)
              attributes: Object.fromEntries(
                Object.entries(attributes).map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]),
              ),
            }),
          );
        }
        tags = nextMap(tags);
        metadata = nextMap(metadata);
        const traceId = `tr-${hex(32)}`;
        traces.push(
          new Trace(
            new TraceInfo({
              traceId,
              experimentId: pick(["0", "7"]),
              clientRequestId: rnd() < 0.5 ? null : "c",
              requestTime: pick(msTimes),
              executionDuration: rnd() < 0.5 ? null : pick([3, 0, 2.75]),
              state: pick(["OK", "ERROR"]),
              requestPreview: rnd() < 0.5 ? null : pick(values),
              responsePreview: rnd() < 0.5 ? null : pick(values),
              tags: { ...tags },
              traceMetadata: { ...metadata },
              assessments:
                rnd() < 0.2
                  ? [
                      new Feedback({
                        traceId,
                        name: "correct",
                        value: true,
                        source: new AssessmentSource({ sourceType: "HUMAN", sourceId: "alice" }),
                      }),
                    ]
                  : [],
            }),
            new TraceData(spans),
          ),
        );
      }
      const unpacked = unpackFrame(packTraces(traces));
      expect(unpacked.contents).toEqual(traces.flatMap((t) => t.data.spans.map((s) => JSON.stringify(s.toDict()))));
      const records = unpacked.records as unknown[][];
      expect(records.map((r) => [...r.slice(0, 10), (r[10] as unknown[]).length, r[11]])).toEqual(
        traces.map((t) => [
          t.info.traceId,
          t.info.experimentId,
          t.info.clientRequestId,
          t.info.requestTime,
          t.info.executionDuration,
          t.info.state,
          t.info.requestPreview,
          t.info.responsePreview,
          t.info.tags,
          t.info.traceMetadata,
          t.info.assessments.length,
          t.data.spans.map(spanRecordOf),
        ]),
      );
    }
  });
});

describe("a frame of traces that share their keys", () => {
  it("sends the repeated keys once and unpacks every trace as it was", async () => {
    const memory = new InMemoryTraceStore();
    setTraceStore(memory);
    const step = trace((n: number) => ({ n }), { name: "same-shape" });
    for (let i = 0; i < 3; i++) step(i);
    withSpan({ name: "other-shape", inputs: "x" }, (s) => s.setAttribute("extra", 1));
    step(3);
    await flushTraces();
    const traces = memory.searchTraces({ experimentIds: ["0"], maxResults: 10 }).traces;
    expect(traces.length).toBe(5);
    const frame = packTraces(traces);
    const unpacked = unpackFrame(frame);
    expect(unpacked.contents).toEqual(traces.map((t) => JSON.stringify(t.data.spans[0]?.toDict())));
    expect((unpacked.records as unknown[][]).map((r) => r[9])).toEqual(traces.map((t) => t.info.traceMetadata));
    expect((unpacked.records as unknown[][]).map((r) => r[8])).toEqual(traces.map((t) => t.info.tags));
    // the keys of a span like the one before it were not sent again
    const key = "mlflow.spanInputs";
    expect(frame.strings.filter((x) => x === key).length).toBeLessThan(traces.length);
    // nor the values equal to the previous trace's: of three same-shaped traces in a row, the trace
    // name (a tag), the span's name and its function name go with the first one only; the
    // inputs, which differ, with every one
    const steps = traces.filter((t) => t.data.spans[0]?.name === "same-shape").slice(0, 3);
    const run = packTraces(steps);
    expect(unpackFrame(run).contents).toEqual(steps.map((t) => JSON.stringify(t.data.spans[0]?.toDict())));
    expect(run.strings.filter((x) => x === "same-shape").length).toBe(2);
    expect(run.strings.filter((x) => x === '"same-shape"').length).toBe(1);
    for (const t of steps) expect(run.strings).toContain(t.data.spans[0]?.rawAttribute("mlflow.spanInputs"));
  });
});

describe("the store over a small ring", () => {
  it("stores every trace when the ring is far smaller than the traffic", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path, { maxPendingBytes: 8192, commitIntervalMs: 1 });
    setTraceStore(store);
    const step = trace((n: number) => ({ n, text: "é".repeat(n % 50) }), { name: "step" });
    for (let i = 0; i < 3000; i++) {
      step(i);
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await flushTraces();
    const stats = getExportStats();
    expect(countRows(path) + stats.overflowed).toBe(3000);
    expect(stats.failed).toBe(0);
    // each stored trace is the one logged, byte for byte
    const some = store.searchTraces({ experimentIds: ["0"], maxResults: 20 }).traces;
    for (const t of some) {
      const n = (t.data.spans[0]?.inputs as { n: number } | undefined)?.n ?? -1;
      expect(t.data.spans[0]?.outputs).toEqual({ n, text: "é".repeat(n % 50) });
    }
    store.close();
  });

  it("offers a backlog larger than the ring in parts the ring takes, never as one message", async () => {
    const path = tempDb();
    // a ring of 64 KiB, and a burst of ~800 KB of small traces with no yield between them: the
    // hand-off fills, the export queue holds the rest back and offers it again
    const store = new SqliteTraceStore(path, { maxPendingBytes: 64 * 1024, commitIntervalMs: 5 });
    setTraceStore(store);
    const handoff = store as unknown as { handoff: { worker?: { postMessage(m: object): void } } };
    const step = trace((s: string) => s.length, { name: "burst" });
    for (let i = 0; i < 20; i++) step(`${i}:`.padEnd(1000, "b"));
    await flushTraces();
    const worker = handoff.handoff.worker;
    expect(worker).toBeDefined();
    const sent: string[] = [];
    const post = worker?.postMessage.bind(worker) as (m: object) => void;
    (worker as { postMessage(m: object): void }).postMessage = (m: object) => {
      sent.push(Object.keys(m).join());
      post(m);
    };
    for (let i = 0; i < 800; i++) step(`${i}:`.padEnd(1000, "b"));
    // the first part fills the ring; the queue then offers at most half the ring's bound at once
    // (before, the backlog went whole into the emptied ring, as one message of ~800 KB)
    for (let round = 0; round < 3; round++) await new Promise((r) => setImmediate(r));
    await flushTraces();
    expect(getExportStats().failed).toBe(0);
    expect(countRows(path) + getExportStats().overflowed).toBe(820);
    expect(countRows(path)).toBeGreaterThan(700);
    expect(sent.filter((k) => k.includes("frame"))).toEqual([]);
    store.close();
  });

  it("offers a backlog in parts of the ring it found full only while that store is the destination", async () => {
    // the queue learns the small ring's bound from its HandoffFullError
    const store = new SqliteTraceStore(tempDb(), { maxPendingBytes: 16 * 1024, commitIntervalMs: 5 });
    setTraceStore(store);
    const step = trace((s: string) => s.length, { name: "burst" });
    for (let i = 0; i < 200; i++) step(`${i}:`.padEnd(1000, "b"));
    await flushTraces();
    expect(getExportStats().overflowed).toBe(0);
    store.close();
    // another destination: its batches are not cut to the bound of a ring it does not have
    const batches: number[] = [];
    const other = new (class extends InMemoryTraceStore {
      override logTraces(traces: Parameters<InMemoryTraceStore["logTraces"]>[0]): void {
        batches.push(traces.length);
        super.logTraces(traces);
      }
    })();
    setTraceStore(other);
    for (let i = 0; i < 100; i++) step(`${i}:`.padEnd(1000, "c"));
    await flushTraces();
    // in batches of the queue's own bound (32 traces, handed over as the loop goes), not of the
    // ~8 traces (8 KiB) the small ring took
    expect(batches.reduce((a, b) => a + b, 0)).toBe(100);
    expect(batches.slice(0, -1).every((n) => n === 32)).toBe(true);
  });

  it("writes a batch larger than the ring alone, as a message, and keeps it through process.exit()", async () => {
    const path = tempDb();
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `
        const tw = await import(${JSON.stringify(distEntry)});
        const store = new tw.SqliteTraceStore(${JSON.stringify(path)}, { maxPendingBytes: 2048, commitIntervalMs: 60000 });
        tw.setTraceStore(store);
        const big = tw.trace((s) => s.length, { name: "big" });
        for (let i = 0; i < 5; i++) big("w".repeat(5000) + i);
        await new Promise((r) => setImmediate(r));
        process.exit(0);`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => child.on("exit", r));
    expect(code, stderr).toBe(0);
    expect(countRows(path)).toBe(5);
  });

  it("takes the part of a large batch that fits and hands back the rest, which is stored once there is room", async () => {
    const path = tempDb();
    // nothing is committed (so nothing freed) until asked: the ring fills
    const store = new SqliteTraceStore(path, { maxPendingBytes: 64 * 1024, commitIntervalMs: 600_000 });
    const memory = new InMemoryTraceStore();
    setTraceStore(memory);
    const step = trace((s: string) => s.length, { name: "sized" });
    for (let i = 0; i < 40; i++) step(`${i}:`.padEnd(4000, "q"));
    await flushTraces();
    const traces = memory.searchTraces({ experimentIds: ["0"], maxResults: 100 }).traces;
    expect(traces.length).toBe(40);
    // something already waits in the ring: a large batch is then taken in part
    await flushTraces();
    const first = store.logTraces(traces.slice(0, 1));
    let full: HandoffFullError | undefined;
    try {
      await store.logTraces(traces.slice(1));
    } catch (e) {
      full = e as HandoffFullError;
    }
    expect(full).toBeInstanceOf(HandoffFullError);
    const taken = full?.acceptedCount ?? 0;
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(39);
    expect(full?.rest?.length).toBe(39 - taken);
    expect(full?.rest?.[0]).toBe(traces[1 + taken]);
    const handoff = (store as unknown as { handoff: { flushSoon(): void } }).handoff;
    handoff.flushSoon();
    await first;
    await full?.accepted;
    expect(countRows(path)).toBe(1 + taken);
    // the rest goes once the commit freed the ring (a part at a time, as the export queue would)
    let rest = [...(full?.rest ?? [])];
    while (rest.length > 0) {
      try {
        const done = store.logTraces(rest);
        handoff.flushSoon();
        await done;
        rest = [];
      } catch (e) {
        const again = e as HandoffFullError;
        handoff.flushSoon();
        await again.accepted;
        rest = [...(again.rest ?? [])];
      }
    }
    expect(countRows(path)).toBe(40);
    store.close();
  });

  it("a writer thread that dies leaves its uncommitted batches in the ring, and the app's thread writes them", async () => {
    const memory = new InMemoryTraceStore();
    setTraceStore(memory);
    const step = trace((n: number) => n * 2, { name: "doomed" });
    for (let i = 0; i < 20; i++) step(i);
    await flushTraces();
    const traces = memory.searchTraces({ experimentIds: ["0"], maxResults: 100 }).traces;
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    const written = store.logTraces(traces);
    // ended in the same tick: the thread has not even started, let alone read or committed
    const worker = (store as unknown as { handoff: { worker: { terminate(): Promise<number> } } }).handoff.worker;
    await worker.terminate();
    await written;
    expect(countRows(path)).toBe(20);
    store.close();
  });

  it("a writer thread that dies after replying that a trace part was set aside: the part is still merged", async () => {
    // two parts of one distributed trace (another process's part is stored already)
    const id = "0123456789abcdef0123456789abcdef";
    const part = (spanId: string, parent: string | null, name: string): Trace =>
      new Trace(
        new TraceInfo({
          traceId: `tr-${id}`,
          experimentId: "0",
          requestTime: 1_700_000_000_000,
          executionDuration: 5,
          state: "OK",
        }),
        new TraceData([
          Span.fromDict({
            trace_id: Buffer.from(id, "hex").toString("base64"),
            span_id: Buffer.from(spanId, "hex").toString("base64"),
            parent_span_id: parent === null ? null : Buffer.from(parent, "hex").toString("base64"),
            name,
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_005_000_000,
            status: { code: "STATUS_CODE_OK", message: "" },
            attributes: {},
          }),
        ]),
      );
    const path = tempDb();
    const store = new SqliteTraceStore(path, { commitIntervalMs: 0 });
    await store.logTraces([part("00000000000000a1", null, "caller")]);
    const handoff = (
      store as unknown as {
        handoff: { seq: number; ring: RingWriter; worker: { terminate(): Promise<number> }; fail(e: unknown): void };
      }
    ).handoff;
    const worker = handoff.worker;
    const written = store.logTraces([part("00000000000000b2", "00000000000000a1", "callee")]);
    // the app's thread is busy (no message is handled) while the thread commits the batch and
    // replies that its trace was stored already, to be merged on the app's thread
    const progress = handoff.ring.control;
    const deadline = Date.now() + 10_000;
    while (Atomics.load(progress, Control.PROGRESS) < handoff.seq && Date.now() < deadline) {
      Atomics.wait(progress, Control.PROGRESS, Atomics.load(progress, Control.PROGRESS), 50);
    }
    expect(Atomics.load(progress, Control.PROGRESS)).toBe(handoff.seq);
    // then the thread dies, and its 'error' event is handled before that reply (another port,
    // no order between them): the reply is still there to read, and says what is left to do
    handoff.fail(new Error("the writer thread crashed"));
    await worker.terminate();
    await written;
    expect(
      store
        .getTrace(`tr-${id}`)
        ?.data.spans.map((s) => s.name)
        .sort(),
    ).toEqual(["callee", "caller"]);
    store.close();
  });
});
