import { SpanAttributeKey } from "@tracewright/core";
import { autolog } from "@tracewright/llamaindex";
import { freshMemoryStore, nock, replayHar, spanTree, storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { ask, useOpenAI } from "../src/rag.ts";

describe("llamaindex-rag example", () => {
  it("records the query as a CHAIN root over retrieval (with its query embedding) and the answer", async () => {
    nock.disableNetConnect();
    const store = freshMemoryStore();
    await autolog();
    replayHar("llamaindex-rag-query.har");
    useOpenAI("replay-key");
    expect(await ask("Where was albert einstein born?")).toBe("Albert Einstein was born in Ulm, Germany.");

    const [indexing, query, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    expect(spanTree(indexing!)).toEqual(["OpenAIEmbedding.getTextEmbeddingsBatch (EMBEDDING) OK"]);
    expect(spanTree(query!)).toEqual([
      "RetrieverQueryEngine.query (CHAIN) OK",
      "  VectorIndexRetriever.retrieve (RETRIEVER) OK",
      "    OpenAIEmbedding.getQueryEmbedding (EMBEDDING) OK",
      "  CompactAndRefine.synthesize (CHAIN) OK",
      "    OpenAI.complete (LLM) OK",
      "      OpenAI.chat (CHAT_MODEL) OK",
    ]);
    const retriever = query!.searchSpans({ spanType: "RETRIEVER" })[0]!;
    const docs = retriever.outputs as Array<{ page_content: string; metadata: Record<string, unknown> }>;
    expect(docs[0]!.page_content).toContain("Born in Ulm, Germany, in 1879");
    expect(docs[0]!.metadata.file_name).toBe("essay.txt");
    const chat = query!.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
    const messages = chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string; content: string }>;
    expect(messages.at(-1)).toEqual({ role: "assistant", content: "Albert Einstein was born in Ulm, Germany." });
    expect(query!.info.tokenUsage?.total_tokens).toBe(174);
    expect(query!.info.responsePreview).toContain("Albert Einstein was born in Ulm, Germany.");
    nock.cleanAll();
  });
});
