import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startSpan } from "../src/index.js";
import { observeAsyncIterable, observeIteratorFactoryStream } from "../src/instrumentation/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const store = useMemoryStore();

async function* numbers(n: number, failAt = -1) {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error("broken off by the server");
    yield { n: i };
  }
}

/** Observes `stream` on a new root span, summing the chunks into the span's outputs. */
function observed<T extends AsyncIterable<unknown>>(stream: T, observe = observeAsyncIterable): T {
  const span = startSpan({ name: "stream" });
  let sum = 0;
  observe(span, stream as never, {
    chunkCountAttribute: "test.chunks",
    onChunk: (chunk) => {
      sum += (chunk as { n: number }).n;
    },
    onEnd: (s) => s.setOutputs({ sum }),
  });
  return stream;
}

async function onlySpan() {
  const traces = await storedTraces(store());
  expect(traces).toHaveLength(1);
  return traces[0]!.data.spans[0]!;
}

describe("the kit's stream observer", () => {
  it("leaves the user the same generator, sees every chunk, and ends the span when it is read to the end", async () => {
    const gen = numbers(4);
    expect(observed(gen)).toBe(gen);
    const seen: number[] = [];
    for await (const c of gen) seen.push((c as { n: number }).n);
    expect(seen).toEqual([0, 1, 2, 3]);
    const span = await onlySpan();
    expect(span.outputs).toEqual({ sum: 6 });
    expect(span.attributes["test.chunks"]).toBe(4);
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk"]);
    expect(span.status.statusCode).toBe("OK");
  });

  it("ends the span with stream_abandoned when the reader breaks off, keeping what arrived", async () => {
    const gen = observed(numbers(10));
    for await (const c of gen) if ((c as { n: number }).n === 2) break;
    const span = await onlySpan();
    expect(span.outputs).toEqual({ sum: 3 });
    expect(span.events.at(-1)?.name).toBe("stream_abandoned");
    expect(span.events.at(-1)?.attributes.reason).toBe("abandoned");
  });

  it("records a stream's error and still hands it to the reader unchanged", async () => {
    const gen = observed(numbers(5, 2));
    const got = await (async () => {
      try {
        for await (const _ of gen) {
          // read on
        }
      } catch (e) {
        return e;
      }
    })();
    expect((got as Error).message).toBe("broken off by the server");
    const span = await onlySpan();
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events.map((e) => e.name)).toContain("exception");
  });

  it("sees direct next() calls on a generator as well as for await", async () => {
    const gen = observed(numbers(2));
    expect(await gen.next()).toEqual({ done: false, value: { n: 0 } });
    expect(await gen.next()).toEqual({ done: false, value: { n: 1 } });
    expect(await gen.next()).toEqual({ done: true, value: undefined });
    expect((await onlySpan()).outputs).toEqual({ sum: 1 });
  });

  it("observes an iterable object (not its own iterator) through its [Symbol.asyncIterator], in place", async () => {
    const iterable = { label: "sdk stream", [Symbol.asyncIterator]: () => numbers(3) };
    expect(observed(iterable)).toBe(iterable);
    for await (const _ of iterable) {
      // read on
    }
    expect((await onlySpan()).outputs).toEqual({ sum: 3 });
  });

  it("observes a Stainless-style stream through its iterator factory", async () => {
    const stream = {
      iterator: () => numbers(3),
      [Symbol.asyncIterator](this: { iterator: () => AsyncIterator<unknown> }) {
        return this.iterator();
      },
    };
    observed(stream, observeIteratorFactoryStream as never);
    for await (const _ of stream) {
      // read on
    }
    expect((await onlySpan()).outputs).toEqual({ sum: 3 });
  });

  it("ends the spans of generators dropped unread or half read once they are collected", () => {
    const app = `
const tw = require("@tracewright/core");
const kit = require("@tracewright/core/instrumentation");
const store = new tw.InMemoryTraceStore();
tw.setTraceStore(store);
async function* numbers() { for (let i = 0; i < 5; i++) yield { n: i }; }
// in a function of its own, so that no variable of the main loop keeps the last generator
async function startAndDrop(i) {
  const gen = numbers();
  kit.observeAsyncIterable(tw.startSpan({ name: "s" + i }), gen, { chunkCountAttribute: "chunks" });
  if (i % 2 === 0) await gen.next(); // half read, then dropped
}
(async () => {
  for (let i = 0; i < 200; i++) await startAndDrop(i);
  for (let i = 0; i < 20; i++) { await new Promise((r) => setTimeout(r, 5)); global.gc(); }
  await tw.flushTraces();
  const reasons = store.allTraces().map((t) => t.data.spans[0].events.at(-1)?.attributes.reason);
  console.log(JSON.stringify({ traces: reasons.length, unread: reasons.filter((r) => r === "never consumed").length, dropped: reasons.filter((r) => r === "dropped").length }));
})();`;
    const out = JSON.parse(
      execFileSync(process.execPath, ["--expose-gc", "-e", app], { cwd: pkgDir, encoding: "utf8" }),
    );
    expect(out).toEqual({ traces: 200, unread: 100, dropped: 100 });
  });
});
