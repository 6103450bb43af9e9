import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { flushTraces, InMemoryTraceStore, type Span, setTraceStore, type Trace, trace } from "@tracewright/core";
import * as langchain from "@tracewright/langchain";
import * as openaiTracing from "@tracewright/openai";
import { type LoopbackServer, spanTree } from "@tracewright/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPLIES, startRecordedOpenAIServer } from "./recorded-openai-server.ts";

const REQUESTS = 200;

let server: LoopbackServer;
beforeAll(async () => {
  server = await startRecordedOpenAIServer();
  await openaiTracing.autolog();
  langchain.autolog();
});
afterAll(async () => {
  langchain.autolog({ disable: true });
  await openaiTracing.autolog({ disable: true });
  await server.close();
});

const getWeather = tool(async ({ location }: { location: string }) => `sunny in ${location}`, {
  name: "get_weather",
  description: "Current weather for a location",
  schema: { type: "object" as const, properties: { location: { type: "string" as const } }, required: ["location"] },
});

/** One user request of a server: its own code, direct openai calls, a chain and an agent. */
function buildRequestHandler() {
  const client = new OpenAI({ apiKey: "sk-test", baseURL: `${server.url}/v1`, maxRetries: 0 });
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "sk-test",
    configuration: { baseURL: `${server.url}/v1` },
    maxRetries: 0,
  });
  const chain = ChatPromptTemplate.fromTemplate("Answer briefly: {question}")
    .pipe(model)
    .pipe(new StringOutputParser());
  const agent = createReactAgent({ llm: model, tools: [getWeather], name: "weather_agent" });
  return trace(
    async function handle_request(requestId: number) {
      const tag = `request ${requestId}`;
      await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: tag }] });
      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `${tag} streamed` }],
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const _chunk of stream) {
        // consumed to the end
      }
      await chain.invoke({ question: tag });
      await agent.invoke({ messages: [{ role: "user", content: `${tag}: weather in New York City and London?` }] });
      return requestId;
    },
    { spanType: "CHAIN" },
  );
}

/** The request id a span's inputs mention, if any ("request 17 ..."). */
function requestIdsMentioned(span: Span): number[] {
  const text = JSON.stringify(span.inputs ?? null);
  return [...text.matchAll(/request (\d+)/g)].map((m) => Number(m[1]));
}

/**
 * The memory store, noting the ids of each trace's spans as the export queue hands it over, so
 * that the test can tell the ids read back from the ids the spans had: a store's copy once read
 * some ids wrongly (one in 4096, those whose base64 began with "0x"), which looked like extra spans.
 */
class IdNotingStore extends InMemoryTraceStore {
  readonly exportedIds = new Map<string, Array<[string, string | null]>>();
  override logTraces(traces: Trace[]): void {
    for (const t of traces)
      this.exportedIds.set(
        t.info.traceId,
        t.data.spans.map((s) => [s.spanId, s.parentId]),
      );
    super.logTraces(traces);
  }
}

/** The tree every request gets. */
const EXPECTED_TREE = [
  "handle_request (CHAIN) OK",
  "  Completions (CHAT_MODEL) OK",
  "  Completions (CHAT_MODEL) OK",
  "  RunnableSequence (CHAIN) OK",
  "    ChatPromptTemplate (CHAIN) OK",
  "    ChatOpenAI (CHAT_MODEL) OK",
  "      Completions (CHAT_MODEL) OK",
  "    StrOutputParser (PARSER) OK",
  "  weather_agent (CHAIN) OK",
  "    __start__ (CHAIN) OK",
  "    agent (CHAIN) OK",
  "      RunnableSequence (CHAIN) OK",
  "        prompt (CHAIN) OK",
  "        ChatOpenAI (CHAT_MODEL) OK",
  "          Completions (CHAT_MODEL) OK",
  "      RunnableLambda (CHAIN) OK",
  "    tools (CHAIN) OK",
  "      get_weather (TOOL) OK",
  "      get_weather (TOOL) OK",
  "    agent (CHAIN) OK",
  "      RunnableSequence (CHAIN) OK",
  "        prompt (CHAIN) OK",
  "        ChatOpenAI (CHAT_MODEL) OK",
  "          Completions (CHAT_MODEL) OK",
  "      RunnableLambda (CHAIN) OK",
];

const EXPECTED_TOKENS =
  REPLIES.answer.totalTokens * 2 + // the direct call and the chain's model call
  REPLIES.streamed.totalTokens +
  REPLIES.toolCalls.totalTokens +
  REPLIES.afterTools.totalTokens;

describe(`${REQUESTS} concurrent requests with openai and LangChain autolog both on`, () => {
  it("gives every request a trace of exactly its own spans, usage counted once, no orphan traces", async () => {
    const store = new IdNotingStore();
    setTraceStore(store);
    const handle = buildRequestHandler();
    const results = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => handle(i)));
    expect(results).toEqual(Array.from({ length: REQUESTS }, (_, i) => i));
    await flushTraces();
    const traces: Trace[] = store.allTraces();

    // one trace per request, nothing else: no orphan SDK or LangChain traces
    expect(traces.map((t) => t.data.spans.find((s) => s.parentId === null)?.name)).toEqual(
      Array(REQUESTS).fill("handle_request"),
    );
    const seen = new Set<number>();
    for (const t of traces) {
      const root = t.data.spans.find((s) => s.parentId === null) as Span;
      const id = root.outputs as number;
      seen.add(id);
      // every span that names a request names this one
      for (const s of t.data.spans) for (const mentioned of requestIdsMentioned(s)) expect(mentioned).toBe(id);
      // the ids read back are the ids the spans had, unique within the trace, as many spans as
      // expected: a failure of the shape below then says whether two spans shared an id or a span
      // was misparented (a CI run once showed 3 extra lines: two ids read back alike)
      expect(
        t.data.spans.map((s) => [s.spanId, s.parentId]),
        `request ${id}: ids read back`,
      ).toEqual(store.exportedIds.get(t.info.traceId));
      expect(new Set(t.data.spans.map((s) => s.spanId)).size, `duplicate span ids in request ${id}`).toBe(
        t.data.spans.length,
      );
      expect(t.data.spans.length, `request ${id}: spans`).toBe(EXPECTED_TREE.length);
      // every request's own tree, compared with the expected one (not with another request's,
      // which named the wrong request when that one was the odd one)
      expect(spanTree(t), `request ${id}: tree`).toEqual(EXPECTED_TREE);
      // one owner per LLM call: every SDK call made by a LangChain model nests under it
      const byId = new Map(t.data.spans.map((s) => [s.spanId, s]));
      const sdkSpans = t.data.spans.filter((s) => s.name === "Completions");
      expect(sdkSpans).toHaveLength(5);
      const underLangChain = sdkSpans.filter((s) => byId.get(s.parentId as string)?.name === "ChatOpenAI");
      expect(underLangChain).toHaveLength(3);
      for (const model of t.data.spans.filter((s) => s.name === "ChatOpenAI")) {
        expect(t.data.spans.filter((s) => s.parentId === model.spanId).map((s) => s.name)).toEqual(["Completions"]);
      }
      expect(t.info.tokenUsage?.total_tokens).toBe(EXPECTED_TOKENS);
    }
    expect(seen.size).toBe(REQUESTS);
  });
});
