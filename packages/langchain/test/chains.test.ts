import { createRequire } from "node:module";
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { BaseRetriever } from "@langchain/core/retrievers";
import { RunnableLambda, RunnableSequence } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { SpanAttributeKey, trace, withSpan } from "@tracewright/core";
import { instrumentOpenAIModule, autolog as openaiAutolog } from "@tracewright/openai";
import {
  decodeNockResponse,
  readNockRecording,
  replayBody,
  replayNockRecording,
  spanTree,
  storedTraces,
} from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { describe, expect, it } from "vitest";
import { autolog, TracewrightCallbackHandler } from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const store = useRecordedHttpStore();

/** The openai copy @langchain/openai resolves (its ESM entry). */
function langchainOpenAICopy(): string {
  const fromLangchain = createRequire(createRequire(import.meta.url).resolve("@langchain/openai"));
  return fromLangchain.resolve("openai").replace(/index\.js$/, "index.mjs");
}

const model = () => new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0, temperature: 0.2 });
const prompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer in up to 3 words."],
  ["human", "{question}"],
]);
const QUESTION = "Which ocean contains Bouvet Island?";
const chatBody = () => JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));
const CITY_SCHEMA = {
  type: "object" as const,
  properties: { city: { type: "string" as const } },
  required: ["city"],
};

describe("prompt | chat model | parser", () => {
  it("records the run tree with typed spans, chat messages, token usage and invocation params", async () => {
    replayNockRecording("chat-completion-basic.json");
    const chain = prompt.pipe(model()).pipe(new StringOutputParser());
    const answer = await chain.invoke({ question: QUESTION }, { callbacks: [new TracewrightCallbackHandler()] });
    expect(answer).toBe("Atlantic Ocean.");
    const [t, ...rest] = await storedTraces(store());
    expect(rest).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "RunnableSequence (CHAIN) OK",
      "  ChatPromptTemplate (CHAIN) OK",
      "  ChatOpenAI (CHAT_MODEL) OK",
      "  StrOutputParser (PARSER) OK",
    ]);
    const chat = t!.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
    expect(chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "system", content: "Answer in up to 3 words." },
      { role: "user", content: QUESTION },
      { role: "assistant", content: "Atlantic Ocean." },
    ]);
    expect(chat.getAttribute(SpanAttributeKey.CHAT_USAGE)).toMatchObject({
      input_tokens: 22,
      output_tokens: 3,
      total_tokens: 25,
    });
    expect(chat.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("langchain");
    expect(chat.getAttribute("model")).toBe("gpt-4o-mini");
    expect(chat.getAttribute("temperature")).toBe(0.2);
    expect(t!.info.tokenUsage?.total_tokens).toBe(25);
    expect(t!.data.spans[0]!.outputs).toEqual({ output: "Atlantic Ocean." });
  });

  it("nests the openai SDK span under the chat model span when both integrations are on", async () => {
    await openaiAutolog();
    // @langchain/openai may hold its own copy of openai (pnpm links one per peer set): patch it too
    instrumentOpenAIModule(await import(langchainOpenAICopy()));
    try {
      replayNockRecording("chat-completion-basic.json");
      const chain = prompt.pipe(model()).pipe(new StringOutputParser());
      await chain.invoke({ question: QUESTION }, { callbacks: [new TracewrightCallbackHandler()] });
      const traces = await storedTraces(store());
      expect(traces).toHaveLength(1);
      expect(spanTree(traces[0]!)).toEqual([
        "RunnableSequence (CHAIN) OK",
        "  ChatPromptTemplate (CHAIN) OK",
        "  ChatOpenAI (CHAT_MODEL) OK",
        "    Completions (CHAT_MODEL) OK",
        "  StrOutputParser (PARSER) OK",
      ]);
      // usage is counted once: the LangChain span reports it, its openai child is skipped
      expect(traces[0]!.info.tokenUsage?.total_tokens).toBe(25);
    } finally {
      await openaiAutolog({ disable: true });
    }
  });

  it("keeps a concurrent openai call of another request out of the LangChain trace", async () => {
    await openaiAutolog();
    const copy = await import(langchainOpenAICopy());
    instrumentOpenAIModule(copy);
    try {
      replayBody({ path: "/v1/chat/completions", body: chatBody(), delayMs: 200 });
      replayNockRecording("chat-completion-basic.json");
      const chain = prompt.pipe(model()).pipe(new StringOutputParser());
      const pending = chain.invoke({ question: QUESTION }, { callbacks: [new TracewrightCallbackHandler()] });
      await new Promise((r) => setTimeout(r, 50)); // the chain's model call is in flight now
      const direct = new copy.OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 });
      await direct.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "unrelated" }],
      });
      await pending;
      const trees = (await storedTraces(store())).map(spanTree);
      expect(trees).toContainEqual(["Completions (CHAT_MODEL) OK"]);
      expect(trees).toContainEqual([
        "RunnableSequence (CHAIN) OK",
        "  ChatPromptTemplate (CHAIN) OK",
        "  ChatOpenAI (CHAT_MODEL) OK",
        "    Completions (CHAT_MODEL) OK",
        "  StrOutputParser (PARSER) OK",
      ]);
    } finally {
      await openaiAutolog({ disable: true });
    }
  });

  it("suppresses the nested openai span on request", async () => {
    await openaiAutolog();
    instrumentOpenAIModule(await import(langchainOpenAICopy()));
    try {
      replayNockRecording("chat-completion-basic.json");
      const handler = new TracewrightCallbackHandler({ suppressNestedSdkSpans: true });
      await prompt.pipe(model()).invoke({ question: QUESTION }, { callbacks: [handler] });
      const traces = await storedTraces(store());
      expect(traces.map(spanTree)).toEqual([
        ["RunnableSequence (CHAIN) OK", "  ChatPromptTemplate (CHAIN) OK", "  ChatOpenAI (CHAT_MODEL) OK"],
      ]);
    } finally {
      await openaiAutolog({ disable: true });
    }
  });

  it("records agent actions and finishes as events on the run's span", async () => {
    const handler = new TracewrightCallbackHandler();
    await RunnableLambda.from(async (x: string) => {
      return x;
    })
      .withConfig({ runName: "agent_step" })
      .invoke("go", {
        callbacks: [
          handler,
          {
            handleChainStart: (_c: unknown, _i: unknown, runId: string) => {
              handler.handleAgentAction({ tool: "search", toolInput: { q: "x" }, log: "thinking" }, runId);
              handler.handleAgentEnd({ returnValues: { output: "done" }, log: "finished" }, runId);
            },
          },
        ],
      });
    const span = (await storedTraces(store()))[0]!.data.spans[0]!;
    expect(span.events.map((e) => [e.name, e.attributes.tool ?? e.attributes.return_values])).toEqual([
      ["agent_action", "search"],
      ["agent_finish", '{"output":"done"}'],
    ]);
  });

  it("traces every invocation after autolog(), without callbacks in user code", async () => {
    autolog();
    try {
      replayNockRecording("chat-completion-basic.json");
      await prompt.pipe(model()).invoke({ question: QUESTION });
      const traces = await storedTraces(store());
      expect(traces.map(spanTree)).toEqual([
        ["RunnableSequence (CHAIN) OK", "  ChatPromptTemplate (CHAIN) OK", "  ChatOpenAI (CHAT_MODEL) OK"],
      ]);
      expect(await autolog()).toMatchObject({ integration: "langchain", enabled: true }); // idempotent: see autolog.test.ts
    } finally {
      autolog({ disable: true });
    }
    replayNockRecording("chat-completion-basic.json");
    await prompt.pipe(model()).invoke({ question: QUESTION });
    expect(await storedTraces(store())).toHaveLength(1);
  });

  it("nests a LangChain invocation under a user trace()", async () => {
    replayNockRecording("chat-completion-basic.json");
    const handler = new TracewrightCallbackHandler();
    const app = trace(async (question: string) => prompt.pipe(model()).invoke({ question }, { callbacks: [handler] }), {
      name: "app",
      spanType: "AGENT",
    });
    await app(QUESTION);
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "app (AGENT) OK",
      "  RunnableSequence (CHAIN) OK",
      "    ChatPromptTemplate (CHAIN) OK",
      "    ChatOpenAI (CHAT_MODEL) OK",
    ]);
  });

  it("keeps concurrent batch() items in separate subtrees", async () => {
    const handler = new TracewrightCallbackHandler();
    const double = RunnableLambda.from(async (x: number) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      return x * 2;
    }).withConfig({ runName: "double" });
    const chain = RunnableSequence.from([
      double,
      RunnableLambda.from((x: number) => x + 1).withConfig({ runName: "inc" }),
    ]);
    const results = await withSpan({ name: "batch-root" }, () => chain.batch([1, 2, 3], { callbacks: [handler] }));
    expect(results).toEqual([3, 5, 7]);
    const [t] = await storedTraces(store());
    const sequences = t!.searchSpans({ name: "RunnableSequence" });
    expect(sequences).toHaveLength(3);
    for (const seq of sequences) {
      const children = t!.data.spans.filter((s) => s.parentId === seq.spanId);
      expect(children.map((c) => c.name)).toEqual(["double", "inc"]);
      const input = (seq.inputs as { input: number }).input;
      expect(children[1]!.outputs).toEqual({ output: input * 2 + 1 });
    }
  });
});

describe("tools and retrievers", () => {
  it("records a failing tool as an ERROR span and rethrows", async () => {
    const flaky = tool(
      async ({ city }: { city: string }) => {
        throw new Error(`weather service down for ${city}`);
      },
      { name: "get_weather", description: "Weather by city", schema: CITY_SCHEMA },
    ) as unknown as { invoke(input: unknown, config?: unknown): Promise<unknown> };
    await expect(flaky.invoke({ city: "Paris" }, { callbacks: [new TracewrightCallbackHandler()] })).rejects.toThrow(
      "weather service down for Paris",
    );
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.spanType).toBe("TOOL");
    expect(span.name).toBe("get_weather");
    expect(span.inputs).toEqual({ city: "Paris" });
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events[0]!.attributes["exception.message"]).toBe("weather service down for Paris");
  });

  it("records a retriever's documents in MLflow's document form", async () => {
    class KeywordRetriever extends BaseRetriever {
      override lc_namespace = ["tests"];
      override async _getRelevantDocuments(query: string, _run?: CallbackManagerForRetrieverRun): Promise<Document[]> {
        return [
          new Document({ pageContent: `About ${query}`, metadata: { source: "kb/1.md", score: 0.9 }, id: "d1" }),
          new Document({ pageContent: "Unrelated", metadata: { source: "kb/2.md", score: 0.1 } }),
        ];
      }
    }
    const docs = await new KeywordRetriever().invoke("tracing", { callbacks: [new TracewrightCallbackHandler()] });
    expect(docs).toHaveLength(2);
    const span = (await storedTraces(store()))[0]!.data.spans[0]!;
    expect(span.spanType).toBe("RETRIEVER");
    expect(span.inputs).toEqual({ query: "tracing" });
    expect(span.outputs).toEqual([
      { page_content: "About tracing", metadata: { source: "kb/1.md", score: 0.9 }, id: "d1" },
      { page_content: "Unrelated", metadata: { source: "kb/2.md", score: 0.1 }, id: null },
    ]);
  });
});

describe("streaming", () => {
  it("ends spans when the stream completes and records tokens as events, not spans", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const body = readNockRecording("chat-streaming-include-usage.json")[0]!.body as {
      messages: Array<{ content: string }>;
    };
    const chain = ChatPromptTemplate.fromMessages([["human", "{q}"]])
      .pipe(new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0, streaming: true }))
      .pipe(new StringOutputParser());
    let text = "";
    for await (const piece of await chain.stream(
      { q: body.messages.at(-1)!.content },
      { callbacks: [new TracewrightCallbackHandler()] },
    )) {
      text += piece;
    }
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "RunnableSequence (CHAIN) OK",
      "  ChatPromptTemplate (CHAIN) OK",
      "  ChatOpenAI (CHAT_MODEL) OK",
      "  StrOutputParser (PARSER) OK",
    ]);
    const chat = t!.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
    const tokens = chat.events.filter((e) => e.name === "new_token").map((e) => e.attributes.token);
    expect(tokens.join("")).toBe(text);
    const messages = chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string; content: string }>;
    expect(messages.at(-1)).toEqual({ role: "assistant", content: text });
  });
});

describe("streamEvents and concurrency", () => {
  it("ends every span when a streamEvents() consumer finishes", async () => {
    replayNockRecording("chat-completion-basic.json");
    const chain = prompt.pipe(model()).pipe(new StringOutputParser());
    const kinds = new Set<string>();
    for await (const event of chain.streamEvents(
      { question: QUESTION },
      { version: "v2", callbacks: [new TracewrightCallbackHandler()] },
    )) {
      kinds.add(event.event);
    }
    expect(kinds.has("on_chain_end")).toBe(true);
    const [t] = await storedTraces(store());
    expect(t!.data.spans.every((s) => s.endTimeNs !== null && s.status.statusCode === "OK")).toBe(true);
    expect(t!.searchSpans({ spanType: "CHAT_MODEL" })).toHaveLength(1);
  });

  it("keeps concurrent top-level invocations in separate traces", async () => {
    const handler = new TracewrightCallbackHandler();
    const slow = (name: string) =>
      RunnableLambda.from(async (x: number) => {
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 5));
        return x;
      }).withConfig({ runName: name });
    await Promise.all([
      slow("first").invoke(1, { callbacks: [handler] }),
      slow("second").invoke(2, { callbacks: [handler] }),
      slow("third").invoke(3, { callbacks: [handler] }),
    ]);
    const traces = await storedTraces(store());
    expect(traces.map((t) => t.data.spans.map((s) => s.name)).sort()).toEqual([["first"], ["second"], ["third"]]);
  });
});
