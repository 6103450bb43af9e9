import { ChatOpenAI } from "@langchain/openai";
import { SpanAttributeKey } from "@tracewright/core";
import { TracewrightCallbackHandler } from "@tracewright/langchain";
import { freshMemoryStore, nock, replayNockRecording, storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { buildRagChain } from "../src/rag.ts";

describe("langchain-rag example", () => {
  it("records retriever, prompt, model and parser under one CHAIN root", async () => {
    nock.disableNetConnect();
    const store = freshMemoryStore();
    replayNockRecording("chat-completion-basic.json");
    const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "sk-replay", maxRetries: 0 });
    const answer = await buildRagChain(model).invoke("Which ocean contains Bouvet Island?", {
      callbacks: [new TracewrightCallbackHandler()],
    });
    expect(answer).toBe("Atlantic Ocean.");
    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    const root = t!.data.spans.find((s) => s.parentId === null)!;
    expect(root.name).toBe("rag_chain");
    expect(root.spanType).toBe("CHAIN");
    const types = t!.data.spans.map((s) => s.spanType);
    for (const type of ["RETRIEVER", "CHAT_MODEL", "PARSER"]) expect(types).toContain(type);
    const retriever = t!.searchSpans({ spanType: "RETRIEVER" })[0]!;
    expect(retriever.inputs).toEqual({ query: "Which ocean contains Bouvet Island?" });
    const docs = retriever.outputs as Array<{ page_content: string; metadata: { source: string }; id: string }>;
    expect(docs.map((d) => d.id)).toEqual(["bouvet", "atlantic"]);
    expect(docs[0]!.metadata.source).toBe("geo/bouvet.md");
    const chat = t!.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
    const messages = chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string; content: string }>;
    expect(messages[0]!.content).toContain("Bouvet Island lies in the South Atlantic Ocean.");
    expect(messages.at(-1)).toEqual({ role: "assistant", content: "Atlantic Ocean." });
    expect(t!.info.tokenUsage?.total_tokens).toBe(25);
    // the chat model's parent chain is the root sequence
    expect(chat.parentId).toBe(root.spanId);
    nock.cleanAll();
  });
});
