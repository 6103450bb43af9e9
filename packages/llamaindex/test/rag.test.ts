import { OpenAI, OpenAIEmbedding } from "@llamaindex/openai";
import { type Span, SpanAttributeKey, trace } from "@tracewright/core";
import { chunksToSse, replayBody, replayHar, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { Document, Settings, VectorStoreIndex } from "llamaindex";
import { SimilarityPostprocessor } from "llamaindex/postprocessors";
import { beforeAll, describe, expect, it } from "vitest";
import * as llamaindex from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

// The essay whose embedding the recording holds (openllmetry-js's LlamaIndex test data).
const ESSAY =
  "Albert Einstein: A Genius Unveiled\n\nAlbert Einstein, renowned as the father of modern physics, remains an emblematic figure in the annals of science. Born in Ulm, Germany, in 1879, his intellectual prowess was evident from an early age. However, it was his groundbreaking theory of relativity, encapsulated in the equation E=mc^2, that revolutionized our understanding of space, time, and energy.";
const QUESTION = "Where was albert einstein born?";
const RECORDING = "llamaindex-rag-query.har";

async function buildIndex() {
  return VectorStoreIndex.fromDocuments([new Document({ text: ESSAY, metadata: { file_name: "essay.txt" } })]);
}

const byName = (spans: Span[], name: string): Span => {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name} in ${spans.map((s) => s.name).join(", ")}`);
  return span;
};

describe("query engine over a VectorStoreIndex", () => {
  const store = useRecordedHttpStore();
  beforeAll(async () => {
    await llamaindex.autolog();
    Settings.llm = new OpenAI({ model: "gpt-4o", temperature: 0.1, apiKey: OPENAI_KEY, maxRetries: 0 });
    Settings.embedModel = new OpenAIEmbedding({ model: "text-embedding-ada-002", apiKey: OPENAI_KEY, maxRetries: 0 });
  });

  it("records EMBEDDING, RETRIEVER and CHAT_MODEL spans under a CHAIN root", async () => {
    replayHar(RECORDING);
    const index = await buildIndex();
    const answer = await index.asQueryEngine().query({ query: QUESTION });
    expect(answer.message.content).toBe("Albert Einstein was born in Ulm, Germany.");

    const [indexing, query] = await storedTraces(store());
    expect(spanTree(indexing!)).toEqual(["OpenAIEmbedding.getTextEmbeddingsBatch (EMBEDDING) OK"]);
    expect(spanTree(query!)).toEqual([
      "RetrieverQueryEngine.query (CHAIN) OK",
      "  VectorIndexRetriever.retrieve (RETRIEVER) OK",
      "    OpenAIEmbedding.getQueryEmbedding (EMBEDDING) OK",
      "  CompactAndRefine.synthesize (CHAIN) OK",
      "    OpenAI.complete (LLM) OK",
      "      OpenAI.chat (CHAT_MODEL) OK",
    ]);
    const spans = query!.data.spans;
    const root = byName(spans, "RetrieverQueryEngine.query");
    expect(root.inputs).toEqual({ query: QUESTION });
    expect(root.outputs).toBe("Albert Einstein was born in Ulm, Germany.");

    const retrieved = byName(spans, "VectorIndexRetriever.retrieve").outputs as Array<Record<string, unknown>>;
    expect(retrieved).toHaveLength(1);
    expect(retrieved[0]?.page_content).toBe(ESSAY);
    expect(retrieved[0]?.metadata).toMatchObject({ file_name: "essay.txt", score: expect.closeTo(0.825, 3) });
    expect(retrieved[0]?.id).toEqual(expect.any(String));

    // counts and dimensions, not the vectors
    expect(byName(spans, "OpenAIEmbedding.getQueryEmbedding").outputs).toEqual({ count: 1, dimensions: 1536 });
    expect(byName(indexing!.data.spans, "OpenAIEmbedding.getTextEmbeddingsBatch").outputs).toEqual({
      count: 1,
      dimensions: 1536,
    });

    const chat = byName(spans, "OpenAI.chat");
    expect(chat.attributes[SpanAttributeKey.MESSAGE_FORMAT]).toBe("llamaindex");
    expect(chat.attributes[SpanAttributeKey.MODEL]).toBe("gpt-4o");
    expect(chat.attributes.temperature).toBe(0.1);
    const messages = chat.attributes[SpanAttributeKey.CHAT_MESSAGES] as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(messages[0]?.content).toContain(`Query: ${QUESTION}`);
    expect(messages[1]?.content).toBe("Albert Einstein was born in Ulm, Germany.");
    expect(chat.attributes[SpanAttributeKey.CHAT_USAGE]).toEqual({
      input_tokens: 164,
      output_tokens: 10,
      total_tokens: 174,
    });
    // the LLM span reports the same usage; the trace counts it once
    expect(query!.info.tokenUsage).toEqual({ input_tokens: 164, output_tokens: 10, total_tokens: 174 });
  });

  it("ends a streaming query's spans when the stream is consumed", async () => {
    replayHar(RECORDING, { only: (entry) => entry.request.url.endsWith("/embeddings") });
    replayBody({ path: "/v1/chat/completions", body: chunksToSse("openai-chat-text.chunks.txt") });
    const index = await buildIndex();
    const stream = await index.asQueryEngine().query({ query: QUESTION, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.delta;
    expect(text.length).toBeGreaterThan(0);

    const query = (await storedTraces(store())).at(-1)!;
    expect(spanTree(query)).toEqual([
      "RetrieverQueryEngine.query (CHAIN) OK",
      "  VectorIndexRetriever.retrieve (RETRIEVER) OK",
      "    OpenAIEmbedding.getQueryEmbedding (EMBEDDING) OK",
      "  CompactAndRefine.synthesize (CHAIN) OK",
      "    OpenAI.complete (LLM) OK",
      "      OpenAI.chat (CHAT_MODEL) OK",
    ]);
    const spans = query.data.spans;
    expect(byName(spans, "RetrieverQueryEngine.query").outputs).toBe(text);
    const chat = byName(spans, "OpenAI.chat");
    expect(chat.outputs).toEqual({ message: { role: "assistant", content: text } });
    const messages = chat.attributes[SpanAttributeKey.CHAT_MESSAGES] as Array<{ role: string; content: string }>;
    expect(messages.at(-1)).toEqual({ role: "assistant", content: text });
    // the root ends after the last chunk, not when query() resolved
    const root = byName(spans, "RetrieverQueryEngine.query");
    expect(root.endTimeNs).toBeGreaterThanOrEqual(chat.endTimeNs!);
  });

  it("nests under the user's trace() span", async () => {
    replayHar(RECORDING);
    const ask = trace(
      async (question: string) => {
        const index = await buildIndex();
        return (await index.asQueryEngine().query({ query: question })).message.content;
      },
      { name: "ask" },
    );
    await ask(QUESTION);
    const traces = await storedTraces(store());
    const mine = traces.at(-1)!;
    expect(spanTree(mine).slice(0, 3)).toEqual([
      "ask (UNKNOWN) OK",
      "  OpenAIEmbedding.getTextEmbeddingsBatch (EMBEDDING) OK",
      "  RetrieverQueryEngine.query (CHAIN) OK",
    ]);
    expect(mine.info.tokenUsage?.total_tokens).toBe(174);
  });

  it("records a node postprocessor as a RERANKER span, and the vectors only when asked", async () => {
    await llamaindex.autolog({ recordEmbeddingVectors: true });
    replayHar(RECORDING);
    const index = await buildIndex();
    const engine = index.asQueryEngine({
      nodePostprocessors: [new SimilarityPostprocessor({ similarityCutoff: 0.9 })],
    });
    await engine.query({ query: QUESTION });
    await llamaindex.autolog();

    const query = (await storedTraces(store())).at(-1)!;
    const reranker = query.data.spans.find((s) => s.spanType === "RERANKER");
    expect(reranker?.name).toBe("SimilarityPostprocessor.postprocessNodes");
    expect(reranker?.inputs).toMatchObject({ query: QUESTION, nodes: [{ page_content: ESSAY }] });
    expect(reranker?.outputs).toEqual([]); // the essay scores ~0.82, under the 0.9 cutoff
    const embedded = byName(query.data.spans, "OpenAIEmbedding.getQueryEmbedding").outputs as {
      embeddings: number[][];
    };
    expect(embedded.embeddings[0]).toHaveLength(1536);
  });
});
