import { describe, expect, it } from "vitest";
import { trace, withSpan } from "../src/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const retrieve = trace(
  async function retrieve(requestId: number) {
    await sleep(Math.random() * 5);
    return `docs-${requestId}`;
  },
  { spanType: "RETRIEVER" },
);

const generate = trace(
  async function generate(requestId: number, docs: string) {
    await sleep(Math.random() * 5);
    return withSpan({ name: "tokenize" }, async (span) => {
      span.setInputs({ requestId });
      await sleep(Math.random() * 2);
      return `answer-${requestId}-${docs}`;
    });
  },
  { spanType: "CHAT_MODEL" },
);

const handle = trace(async function handle(requestId: number) {
  const docs = await retrieve(requestId);
  return generate(requestId, docs);
});

describe("concurrency", () => {
  it("keeps 1,000 concurrent traced requests in 1,000 separate, correct traces", async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => handle(i)));
    expect(results[999]).toBe("answer-999-docs-999");
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1000);
    const seen = new Set<number>();
    for (const t of traces) {
      expect(t.data.spans).toHaveLength(4);
      const root = t.data.spans.find((s) => s.parentId === null)!;
      const id = (root.inputs as { requestId: number }).requestId;
      seen.add(id);
      const byName = Object.fromEntries(t.data.spans.map((s) => [s.name, s]));
      expect(byName.retrieve!.parentId).toBe(root.spanId);
      expect(byName.generate!.parentId).toBe(root.spanId);
      expect(byName.tokenize!.parentId).toBe(byName.generate!.spanId);
      // no cross-talk: every span of this trace carries this request's id
      expect((byName.retrieve!.inputs as { requestId: number }).requestId).toBe(id);
      expect((byName.tokenize!.inputs as { requestId: number }).requestId).toBe(id);
      expect(root.outputs).toBe(`answer-${id}-docs-${id}`);
      for (const s of t.data.spans) expect(s.traceId).toBe(t.info.traceId);
    }
    expect(seen.size).toBe(1000);
  });
});
