/** A model stream that ends without a single chunk is recorded without a tracing failure. */
import { ChatOpenAI } from "@langchain/openai";
import { replayBody, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { describe, expect, it, vi } from "vitest";
import { TracewrightCallbackHandler } from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const store = useRecordedHttpStore();

describe("a stream with no chunks", () => {
  it("ends the model span with empty outputs and logs nothing", async () => {
    replayBody({ path: "/v1/chat/completions", body: "data: [DONE]\n\n" });
    const warn = vi.spyOn(console, "warn");
    const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0, streaming: true });
    const chunks: unknown[] = [];
    for await (const chunk of await model.stream("hi", { callbacks: [new TracewrightCallbackHandler()] })) {
      chunks.push(chunk);
    }
    expect(chunks).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual(["ChatOpenAI (CHAT_MODEL) OK"]);
    expect(t!.data.spans[0]!.outputs).toEqual({ generations: [[]] });
  });
});
