/**
 * The kit's uniform behaviour, as every Tracewright integration has it, for LlamaIndex: an
 * idempotent autolog resolving to the kit's status, `disable` putting back the very original
 * methods, `recordContent: false` keeping no document, question or answer text on any span of a
 * RAG query, and `redact` applied to every span (chat messages included), with recorded HTTP.
 */
import { OpenAI, OpenAIEmbedding } from "@llamaindex/openai";
import { REDACTION_FAILED } from "@tracewright/core/instrumentation";
import { replayHar, replayNockRecording, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { BaseRetriever, Document, Settings, SimpleChatEngine, VectorStoreIndex } from "llamaindex";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as llamaindex from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const ORIGINAL = Symbol.for("tracewright.llamaindex.original");
type Proto = Record<string, { [ORIGINAL]?: unknown }>;

const ESSAY =
  "Albert Einstein: A Genius Unveiled\n\nAlbert Einstein, renowned as the father of modern physics, remains an emblematic figure in the annals of science. Born in Ulm, Germany, in 1879, his intellectual prowess was evident from an early age. However, it was his groundbreaking theory of relativity, encapsulated in the equation E=mc^2, that revolutionized our understanding of space, time, and energy.";
const QUESTION = "Where was albert einstein born?";
const ANSWER = "Albert Einstein was born in Ulm, Germany.";

/** The RAG query of rag.test.ts (indexing, then a query through every component), from its recording. */
async function ragQuery(): Promise<void> {
  replayHar("llamaindex-rag-query.har");
  const index = await VectorStoreIndex.fromDocuments([new Document({ text: ESSAY })]);
  const answer = await index.asQueryEngine().query({ query: QUESTION });
  expect(answer.message.content).toBe(ANSWER);
}

async function askOnce(): Promise<void> {
  replayNockRecording("chat-completion-basic.json");
  const engine = new SimpleChatEngine({ llm: new OpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }) });
  await engine.chat({ message: "Which ocean contains Bouvet Island?" });
}

describe("llamaindex on the integration kit", () => {
  const store = useRecordedHttpStore();
  beforeAll(async () => {
    await llamaindex.autolog();
    Settings.llm = new OpenAI({ model: "gpt-4o", temperature: 0.1, apiKey: OPENAI_KEY, maxRetries: 0 });
    Settings.embedModel = new OpenAIEmbedding({ model: "text-embedding-ada-002", apiKey: OPENAI_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await llamaindex.autolog();
  });

  it("resolves autolog() to the kit's status; a second autolog() still records one span per call", async () => {
    expect(await llamaindex.autolog()).toMatchObject({ integration: "llamaindex", enabled: true });
    expect(await llamaindex.autolog()).toMatchObject({ integration: "llamaindex", enabled: true });
    await askOnce();
    const [only] = await storedTraces(store());
    expect(only!.data.spans.map((s) => s.name)).toEqual(["SimpleChatEngine.chat", "OpenAI.chat"]);
  });

  it("puts back the very original methods on disable (===), and patches them again after", async () => {
    const patched: Array<[Proto, string]> = [
      [OpenAI.prototype as unknown as Proto, "chat"],
      [SimpleChatEngine.prototype as unknown as Proto, "chat"],
      [BaseRetriever.prototype as unknown as Proto, "retrieve"],
    ];
    const originals = patched.map(([proto, key]) => proto[key]![ORIGINAL]);
    expect(originals.every((o) => typeof o === "function")).toBe(true);
    await expect(llamaindex.autolog({ disable: true })).resolves.toMatchObject({ enabled: false });
    try {
      for (const [i, [proto, key]] of patched.entries()) expect(proto[key]).toBe(originals[i]);
    } finally {
      await llamaindex.autolog();
    }
    for (const [i, [proto, key]] of patched.entries()) expect(proto[key]![ORIGINAL]).toBe(originals[i]);
  });

  it("records no document, question or answer text with recordContent: false, on any span", async () => {
    await llamaindex.autolog({ recordContent: false });
    try {
      await ragQuery();
    } finally {
      await llamaindex.autolog();
    }
    const traces = await storedTraces(store());
    const spans = traces.flatMap((t) => t.data.spans);
    expect(new Set(spans.map((s) => s.spanType))).toEqual(
      new Set(["EMBEDDING", "CHAIN", "RETRIEVER", "LLM", "CHAT_MODEL"]),
    );
    for (const t of traces) expect(t.toJson()).not.toMatch(/Einstein|Ulm|einstein/);
    for (const s of spans) {
      expect(s.inputs ?? null).toBeNull();
      expect(s.outputs ?? null).toBeNull();
    }
    const chat = spans.find((s) => s.spanType === "CHAT_MODEL")!;
    expect((chat.getAttribute("mlflow.chat.messages") as Array<{ role: string }>).at(-1)?.role).toBe("assistant");
    expect(chat.getAttribute("mlflow.chat.tokenUsage")).toMatchObject({ total_tokens: expect.any(Number) });
  });

  it("applies redact to every span of the query, chat messages included", async () => {
    const seen = new Set<string>();
    await llamaindex.autolog({
      redact: (value, { target, key }) => {
        seen.add(key ?? target);
        const json = JSON.stringify(value);
        return json === undefined ? value : JSON.parse(json.replace(/Einstein|einstein|Ulm/g, "[redacted]"));
      },
    });
    try {
      await ragQuery();
    } finally {
      await llamaindex.autolog();
    }
    const traces = await storedTraces(store());
    for (const t of traces) expect(t.toJson()).not.toMatch(/Einstein|Ulm|einstein/);
    const spans = traces.flatMap((t) => t.data.spans);
    for (const name of ["RetrieverQueryEngine.query", "VectorIndexRetriever.retrieve", "OpenAI.chat"]) {
      expect(JSON.stringify(spans.find((s) => s.name === name)?.toDict())).toContain("[redacted]");
    }
    expect(seen).toContain("inputs");
    expect(seen).toContain("outputs");
    expect(seen).toContain("mlflow.chat.messages");
  });

  it("drops what a throwing redactor sees, never recording it raw, and keeps the call working", async () => {
    await llamaindex.autolog({
      redact: () => {
        throw new Error("redactor bug");
      },
    });
    try {
      await askOnce();
    } finally {
      await llamaindex.autolog();
    }
    const [t] = await storedTraces(store());
    expect(t!.toJson()).not.toMatch(/Bouvet|Atlantic/);
    for (const s of t!.data.spans) expect(s.inputs).toBe(REDACTION_FAILED);
  });
});
