import { OpenAI } from "@llamaindex/openai";
import { SpanAttributeKey } from "@tracewright/core";
import * as tracedOpenAI from "@tracewright/openai";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { BaseRetriever, SimpleChatEngine } from "llamaindex";
import * as openaiModule from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as llamaindex from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

async function askOnce(): Promise<string> {
  replayNockRecording("chat-completion-basic.json");
  const engine = new SimpleChatEngine({ llm: new OpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }) });
  const reply = await engine.chat({ message: "Which ocean contains Bouvet Island?" });
  return String(reply.message.content);
}

describe("autolog lifecycle", () => {
  const store = useRecordedHttpStore();
  beforeEach(async () => {
    await llamaindex.autolog();
  });
  afterEach(async () => {
    await tracedOpenAI.autolog({ disable: true });
  });

  it("is idempotent: a second autolog() does not double the spans", async () => {
    await llamaindex.autolog();
    await askOnce();
    const [only] = await storedTraces(store());
    expect(spanTree(only!)).toEqual(["SimpleChatEngine.chat (CHAIN) OK", "  OpenAI.chat (CHAT_MODEL) OK"]);
  });

  it("records nothing after autolog({ disable: true }), and traces again once re-enabled", async () => {
    await llamaindex.autolog({ disable: true });
    expect(await askOnce()).toBe("Atlantic Ocean.");
    expect(await storedTraces(store())).toHaveLength(0);
    await llamaindex.autolog();
    await askOnce();
    expect(await storedTraces(store())).toHaveLength(1);
  });

  it("with @tracewright/openai on, the SDK call nests under the CHAT_MODEL span and usage counts once", async () => {
    await tracedOpenAI.autolog();
    tracedOpenAI.instrumentOpenAIModule(openaiModule); // the copy @llamaindex/openai loads
    await askOnce();
    const [nested] = await storedTraces(store());
    expect(spanTree(nested!)).toEqual([
      "SimpleChatEngine.chat (CHAIN) OK",
      "  OpenAI.chat (CHAT_MODEL) OK",
      "    Completions (CHAT_MODEL) OK",
    ]);
    expect(nested!.info.tokenUsage).toEqual({ input_tokens: 22, output_tokens: 3, total_tokens: 25 });
  });

  it("suppressNestedSdkSpans drops the SDK span", async () => {
    await tracedOpenAI.autolog();
    tracedOpenAI.instrumentOpenAIModule(openaiModule);
    await llamaindex.autolog({ suppressNestedSdkSpans: true });
    await askOnce();
    const [single] = await storedTraces(store());
    expect(spanTree(single!)).toEqual(["SimpleChatEngine.chat (CHAIN) OK", "  OpenAI.chat (CHAT_MODEL) OK"]);
    expect(single!.data.spans[1]?.attributes[SpanAttributeKey.CHAT_USAGE]).toEqual({
      input_tokens: 22,
      output_tokens: 3,
      total_tokens: 25,
    });
  });

  it("never breaks the call: a recording failure is logged, the user's error is rethrown unchanged", async () => {
    const hostileNode = {
      id_: "n1",
      text: "text",
      get metadata(): never {
        throw new Error("metadata exploded");
      },
    };
    const failure = new Error("index offline");
    class HostileRetriever extends BaseRetriever {
      fail = false;
      // biome-ignore lint/complexity/noUselessConstructor: BaseRetriever's constructor is protected
      constructor() {
        super();
      }
      async _retrieve() {
        if (this.fail) throw failure;
        return [{ node: hostileNode, score: 1 }] as never;
      }
    }
    const retriever = new HostileRetriever();
    const nodes = await retriever.retrieve({ query: "q" });
    expect(nodes[0]?.node).toBe(hostileNode);
    retriever.fail = true;
    await expect(retriever.retrieve({ query: "q" })).rejects.toBe(failure);

    const [recorded, failed] = await storedTraces(store());
    expect(spanTree(recorded!)).toEqual(["HostileRetriever.retrieve (RETRIEVER) OK"]);
    expect(spanTree(failed!)).toEqual(["HostileRetriever.retrieve (RETRIEVER) ERROR"]);
    expect(failed!.data.spans[0]?.status.description).toContain("index offline");
  });
});
