/**
 * Many requests in flight at once, each in its own async context, against recorded OpenAI
 * traffic: every trace must hold exactly its own spans, token usage counted once, no orphans.
 */
import { Document } from "@langchain/core/documents";
import { HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { BaseRetriever } from "@langchain/core/retrievers";
import { RunnableLambda, RunnableParallel } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { type Trace, trace } from "@tracewright/core";
import { spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { autolog, TracewrightCallbackHandler } from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";
import {
  AGENT_TOTAL_TOKENS,
  disableOpenAIAutolog,
  enableOpenAIAutolog,
  langchainOpenAIModule,
  serveAgentTurns,
  serveBasicChat,
  serveEmbeddings,
  serveStreamedChat,
  sortedTrees,
  tracesNamed,
  trees,
} from "./traffic.js";

const store = useRecordedHttpStore();
afterEach(async () => {
  autolog({ disable: true });
  await disableOpenAIAutolog();
});

const QUESTION = "Answer in up to 3 words: Which ocean contains Bouvet Island?";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chain = (streaming = false) =>
  ChatPromptTemplate.fromMessages([["human", "{question}"]])
    .pipe(new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0, streaming }))
    .pipe(new StringOutputParser());

const LOCATION_SCHEMA = {
  type: "object" as const,
  properties: { location: { type: "string" as const } },
  required: ["location"],
};

const CHAIN_TREE = [
  "RunnableSequence (CHAIN) OK",
  "  ChatPromptTemplate (CHAIN) OK",
  "  ChatOpenAI (CHAT_MODEL) OK",
  "  StrOutputParser (PARSER) OK",
];
const CHAIN_TREE_WITH_SDK_SPAN = [
  "RunnableSequence (CHAIN) OK",
  "  ChatPromptTemplate (CHAIN) OK",
  "  ChatOpenAI (CHAT_MODEL) OK",
  "    Completions (CHAT_MODEL) OK",
  "  StrOutputParser (PARSER) OK",
];

/** A request of "another user": a trace() root that calls openai directly. */
async function directOpenAIRequest(i: number): Promise<void> {
  const { OpenAI } = await langchainOpenAIModule();
  const client = new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 });
  await trace(
    async () => {
      await sleep(i % 7);
      return client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    },
    { name: "direct-request", spanType: "CHAIN" },
  )();
}

function expectNoSdkRootTraces(traces: Trace[]): void {
  expect(tracesNamed(traces, "Completions").map(spanTree)).toEqual([]);
}

describe("a span's parent comes from async context alone", () => {
  it("keeps trace() roots of other requests out of a LangChain trace whose model call is in flight", async () => {
    serveBasicChat(1, 300);
    const handler = new TracewrightCallbackHandler();
    const inFlight = chain().invoke({ question: QUESTION }, { callbacks: [handler] });
    await sleep(50); // the chain's model call waits for its reply now
    const others = Array.from({ length: 20 }, (_, i) =>
      trace(
        async () => {
          await sleep(i % 5);
          return i;
        },
        { name: "other-request", spanType: "CHAIN" },
      )(),
    );
    await Promise.all([inFlight, ...others]);
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(21);
    expect(trees(tracesNamed(traces, "RunnableSequence"))).toEqual([CHAIN_TREE]);
    expect(trees(tracesNamed(traces, "other-request"))).toEqual(
      Array.from({ length: 20 }, () => ["other-request (CHAIN) OK"]),
    );
  });

  it("nests each SDK call under its own chat model, with 20 chains and 20 direct openai requests in flight", async () => {
    await enableOpenAIAutolog();
    serveBasicChat(40, 30);
    const handler = new TracewrightCallbackHandler();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => [
        chain().invoke({ question: QUESTION }, { callbacks: [handler] }),
        directOpenAIRequest(i),
      ]).flat(),
    );
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(40);
    expect(trees(tracesNamed(traces, "RunnableSequence"))).toEqual(
      Array.from({ length: 20 }, () => CHAIN_TREE_WITH_SDK_SPAN),
    );
    expect(trees(tracesNamed(traces, "direct-request"))).toEqual(
      Array.from({ length: 20 }, () => ["direct-request (CHAIN) OK", "  Completions (CHAT_MODEL) OK"]),
    );
    for (const t of traces) expect(t.info.tokenUsage?.total_tokens).toBe(25);
  });

  it("keeps each queued SDK call in its own trace when the model limits concurrency (maxConcurrency: 2)", async () => {
    await enableOpenAIAutolog();
    serveBasicChat(10, 20);
    const limited = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0, maxConcurrency: 2 });
    const limitedChain = ChatPromptTemplate.fromMessages([["human", "{question}"]])
      .pipe(limited)
      .pipe(new StringOutputParser());
    const handler = new TracewrightCallbackHandler();
    await Promise.all(
      Array.from({ length: 10 }, () => limitedChain.invoke({ question: QUESTION }, { callbacks: [handler] })),
    );
    const traces = await storedTraces(store());
    expect(trees(traces)).toEqual(Array.from({ length: 10 }, () => CHAIN_TREE_WITH_SDK_SPAN));
    for (const t of traces) expect(t.info.tokenUsage?.total_tokens).toBe(25);
  });

  it("does not let a trace() after an abandoned stream join the dead stream's trace", async () => {
    serveStreamedChat(1);
    for await (const _piece of await chain(true).stream(
      { question: QUESTION },
      { callbacks: [new TracewrightCallbackHandler()] },
    )) {
      break;
    }
    await trace(async () => "later", { name: "later-request", spanType: "CHAIN" })();
    const traces = await storedTraces(store());
    expect(trees(tracesNamed(traces, "later-request"))).toEqual([["later-request (CHAIN) OK"]]);
  });
});

describe("one owner per LLM call with langchain.autolog() and openai.autolog() both on", () => {
  const WEATHER: Record<string, string> = {
    "New York City": "25 degrees and sunny",
    London: "15 degrees and raining",
  };
  const getWeather = tool(async ({ location }: { location: string }) => WEATHER[location] ?? "unknown", {
    name: "get_weather",
    description: "Current weather for a location",
    schema: {
      type: "object" as const,
      properties: { location: { type: "string" as const } },
      required: ["location"],
    },
  });

  it("nests the SDK span under ChatOpenAI in 20 concurrent LangGraph ReAct agents, usage counted once", async () => {
    autolog();
    await enableOpenAIAutolog();
    serveAgentTurns(40, 20);
    const agent = createReactAgent({
      llm: new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }),
      tools: [getWeather],
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        agent.invoke({ messages: [{ role: "user", content: "What is the weather in New York City and London?" }] }),
      ),
    );
    for (const r of results) expect(String(r.messages.at(-1)!.content)).toContain("25 degrees and sunny");
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(20);
    expectNoSdkRootTraces(traces);
    for (const t of traces) {
      const byId = new Map(t.data.spans.map((s) => [s.spanId, s]));
      const sdkSpans = t.data.spans.filter((s) => s.name === "Completions");
      expect(sdkSpans).toHaveLength(2);
      for (const s of sdkSpans) expect(byId.get(s.parentId!)?.name).toBe("ChatOpenAI");
      expect(t.searchSpans({ spanType: "TOOL" })).toHaveLength(2);
      expect(t.info.tokenUsage?.total_tokens).toBe(AGENT_TOTAL_TOKENS);
    }
  });

  it("gives every chain.batch() item its SDK span, no orphan traces, in 10 concurrent batches", async () => {
    autolog();
    await enableOpenAIAutolog();
    serveBasicChat(30, 20);
    const outputs = await Promise.all(
      Array.from({ length: 10 }, () =>
        chain().batch([{ question: QUESTION }, { question: QUESTION }, { question: QUESTION }]),
      ),
    );
    expect(outputs.flat()).toEqual(Array.from({ length: 30 }, () => "Atlantic Ocean."));
    const traces = await storedTraces(store());
    expectNoSdkRootTraces(traces);
    expect(trees(traces)).toEqual(Array.from({ length: 30 }, () => CHAIN_TREE_WITH_SDK_SPAN));
    for (const t of traces) expect(t.info.tokenUsage?.total_tokens).toBe(25);
  });

  it("nests each SDK call under its own model run when one invocation runs several at once", async () => {
    autolog();
    await enableOpenAIAutolog();
    serveBasicChat(6, 20);
    const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 });
    const ask = ChatPromptTemplate.fromMessages([["human", "{question}"]]).pipe(model);
    // two model runs of one parallel step, in one LangChain context
    await RunnableParallel.from({ first: ask, second: ask }).invoke({ question: QUESTION });
    // two prompts of one generate() call: two runs, their _generate calls concurrent
    const prompt = [new HumanMessage(QUESTION)];
    await model.generate([prompt, prompt]);
    // two model calls made concurrently by one lambda
    await RunnableLambda.from(async (question: string) =>
      Promise.all([ask.invoke({ question }), ask.invoke({ question })]),
    )
      .withConfig({ runName: "both" })
      .invoke(QUESTION);
    const traces = await storedTraces(store());
    expectNoSdkRootTraces(traces);
    const modelWithSdk = ["ChatOpenAI (CHAT_MODEL) OK", "  Completions (CHAT_MODEL) OK"];
    const sequenceWithSdk = [
      "RunnableSequence (CHAIN) OK",
      "  ChatPromptTemplate (CHAIN) OK",
      "  ChatOpenAI (CHAT_MODEL) OK",
      "    Completions (CHAT_MODEL) OK",
    ];
    const nested = (lines: string[], depth: number) => lines.map((l) => `${"  ".repeat(depth)}${l}`);
    expect(trees(traces)).toEqual(
      sortedTrees([
        ["RunnableMap (CHAIN) OK", ...nested(sequenceWithSdk, 1), ...nested(sequenceWithSdk, 1)],
        modelWithSdk,
        modelWithSdk,
        ["both (CHAIN) OK", ...nested(sequenceWithSdk, 1), ...nested(sequenceWithSdk, 1)],
      ]),
    );
    expect(traces.map((t) => t.info.tokenUsage?.total_tokens).sort()).toEqual([25, 25, 50, 50]);
  });

  it("nests the embedding calls of 10 concurrent retrievers under their RETRIEVER spans", async () => {
    autolog();
    await enableOpenAIAutolog();
    serveEmbeddings(10, 20);
    const embeddings = new OpenAIEmbeddings({
      model: "text-embedding-3-small",
      apiKey: OPENAI_KEY,
      maxRetries: 0,
      encodingFormat: "float",
    });
    class EmbeddingRetriever extends BaseRetriever {
      override lc_namespace = ["tests"];
      override async _getRelevantDocuments(query: string): Promise<Document[]> {
        const vectors = await embeddings.embedDocuments([query]);
        return [new Document({ pageContent: query, metadata: { dimensions: vectors[0]!.length } })];
      }
    }
    const retriever = new EmbeddingRetriever();
    await Promise.all(Array.from({ length: 10 }, () => retriever.invoke("fish")));
    const traces = await storedTraces(store());
    expect(trees(traces)).toEqual(
      Array.from({ length: 10 }, () => ["EmbeddingRetriever (RETRIEVER) OK", "  Embeddings (EMBEDDING) OK"]),
    );
  });

  it("keeps nesting every later invoke after an abandoned stream", async () => {
    autolog();
    await enableOpenAIAutolog();
    serveStreamedChat(1);
    for await (const _piece of await chain(true).stream({ question: QUESTION })) break;
    serveBasicChat(20, 10);
    await Promise.all(Array.from({ length: 20 }, () => chain().invoke({ question: QUESTION })));
    const traces = await storedTraces(store());
    expectNoSdkRootTraces(traces);
    expect(traces).toHaveLength(21);
    const invoked = traces.filter(
      (t) => !t.data.spans.some((s) => s.events.some((e) => e.name === "stream_abandoned")),
    );
    expect(trees(invoked)).toEqual(Array.from({ length: 20 }, () => CHAIN_TREE_WITH_SDK_SPAN));
    for (const t of invoked) expect(t.info.tokenUsage?.total_tokens).toBe(25);
  });
});

describe("early-stopped streams", () => {
  const abandonedNames = (t: Trace) =>
    t.data.spans.filter((s) => s.events.some((e) => e.name === "stream_abandoned")).map((s) => s.name);

  it("keeps the trace of each of 20 streams broken off early and retains no run", async () => {
    serveStreamedChat(20);
    const handler = new TracewrightCallbackHandler();
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        let pieces = 0;
        for await (const _piece of await chain(true).stream({ question: QUESTION }, { callbacks: [handler] })) {
          if (++pieces > i % 3) break;
        }
      }),
    );
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(20);
    for (const t of traces) {
      expect(spanTree(t)).toEqual(CHAIN_TREE);
      expect(t.data.spans.every((s) => s.endTimeNs !== null)).toBe(true);
      expect(abandonedNames(t).sort()).toEqual(["ChatOpenAI", "RunnableSequence", "StrOutputParser"]);
    }
    expect(handler.openRunCount).toBe(0);
  });

  it("keeps the traces of 10 LangGraph agent streams broken off after the first step, retaining no run", async () => {
    serveAgentTurns(20);
    const handler = new TracewrightCallbackHandler();
    const agent = createReactAgent({
      llm: new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }),
      tools: [tool(async () => "sunny", { name: "get_weather", description: "Weather", schema: LOCATION_SCHEMA })],
    });
    const logged = vi.spyOn(console, "warn");
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const input = { messages: [{ role: "user", content: "What is the weather in New York City and London?" }] };
        for await (const _step of await agent.stream(input, { callbacks: [handler] })) break;
      }),
    );
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(10);
    for (const t of traces) {
      expect(t.data.spans.every((s) => s.endTimeNs !== null)).toBe(true);
      const model = t.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
      expect((model.outputs as { generations: unknown[][] }).generations[0]).toHaveLength(1);
    }
    expect(logged).not.toHaveBeenCalled();
    logged.mockRestore();
    expect(handler.openRunCount).toBe(0);
  });

  it("keeps the trace of a stream dropped unread once it is garbage-collected", async () => {
    const { setFlagsFromString } = await import("node:v8");
    const { runInNewContext } = await import("node:vm");
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    serveStreamedChat(1);
    const handler = new TracewrightCallbackHandler();
    await (async () => {
      const stream = await chain(true).stream({ question: QUESTION }, { callbacks: [handler] });
      await stream.next();
    })();
    for (let i = 0; i < 20 && handler.openRunCount > 0; i++) {
      gc();
      await sleep(20);
    }
    expect(handler.openRunCount).toBe(0);
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    expect(spanTree(traces[0]!)).toEqual(CHAIN_TREE);
    expect(abandonedNames(traces[0]!)).toContain("RunnableSequence");
  });
});
