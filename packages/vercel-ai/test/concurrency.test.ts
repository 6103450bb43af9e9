/**
 * Many AI SDK calls in flight at once, each request under its own `trace()` root: every trace
 * holds exactly its own request's spans, and counts its own token usage once.
 */
import { type Trace, trace } from "@tracewright/core";
import { decodeNockResponse, nock, readNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as vercelAi from "../src/index.js";
import { openai, weatherReport } from "./helpers.js";

const REQUESTS = 24;
const recordedReply = decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!) as {
  choices: Array<{ message: { content: string } }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};
const recordedStream = decodeNockResponse(readNockRecording("chat-streaming-include-usage.json")[0]!) as string;
const STREAM_USAGE = { input_tokens: 22, output_tokens: 4, total_tokens: 26 };
const [toolCallTurn, answerTurn] = readNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
const WEATHER_USAGE = { input_tokens: 182, output_tokens: 72, total_tokens: 254 };

interface ChatBody {
  stream?: boolean;
  tools?: unknown[];
  messages: Array<{ role: string }>;
}
const isPlain = (body: ChatBody) => body.stream !== true && body.tools === undefined;
const isStream = (body: ChatBody) => body.stream === true;
const isToolCallTurn = (body: ChatBody) => body.tools !== undefined && !body.messages.some((m) => m.role === "tool");
const isAnswerTurn = (body: ChatBody) => body.tools !== undefined && body.messages.some((m) => m.role === "tool");

/** The `#n` tag of the question a chat request asks. */
async function tagOf(request: Request): Promise<string> {
  const body = (await request.json()) as { messages: Array<{ content: unknown }> };
  return /#\d+/.exec(JSON.stringify(body.messages))?.[0] ?? "#?";
}

/**
 * Serves, `times` times each, the recorded reply and the recorded stream (tagged with the
 * question's `#n`) and the two turns of the recorded tool-calling conversation, each request
 * getting the reply of its kind in whatever order they arrive.
 */
function serveTaggedReplies(times: number): void {
  const api = nock("https://api.openai.com");
  for (const [turn, matches] of [
    [toolCallTurn!, isToolCallTurn],
    [answerTurn!, isAnswerTurn],
  ] as const) {
    api
      .post("/v1/chat/completions", matches)
      .times(times)
      .reply(200, JSON.stringify(decodeNockResponse(turn)), { "content-type": "application/json" });
  }
  api
    .post("/v1/chat/completions", isPlain)
    .times(times)
    .reply(
      200,
      async (request: Request) => {
        const reply = structuredClone(recordedReply);
        reply.choices[0]!.message.content = `${await tagOf(request)} ${reply.choices[0]!.message.content}`;
        return JSON.stringify(reply);
      },
      { "content-type": "application/json" },
    );
  api
    .post("/v1/chat/completions", isStream)
    .times(times)
    .reply(
      200,
      async (request: Request) =>
        recordedStream.replace('"content":"South"', `"content":"${await tagOf(request)} South"`),
      { "content-type": "text/event-stream" },
    );
}

const lookUpStation = trace(async function look_up_station(location: string, request: number) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return { location, request };
});

/** A two-step tool-calling agent whose tool runs traced code of the app. */
const askWeather = (n: number) =>
  generateText({
    model: openai.chat("gpt-4o-mini"),
    system: `You are a helpful assistant providing weather updates. Request #${n}:`,
    prompt: "What is the weather in New York City and London?",
    tools: {
      get_weather: tool({
        description: "The current weather in a location",
        inputSchema: z.object({ location: z.string() }),
        execute: async ({ location }) => {
          await lookUpStation(location, n);
          return weatherReport(location);
        },
      }),
    },
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });

/** One request of the app: a generateText, a streamText (read to the end) and a tool-calling agent, side by side. */
const handleRequest = trace(async function handle_request(n: number) {
  const [asked, streamed] = await Promise.all([
    generateText({ model: openai.chat("gpt-4o-mini"), prompt: `Question #${n}: which ocean?`, maxRetries: 0 }),
    (async () => {
      const result = streamText({ model: openai.chat("gpt-4o-mini"), prompt: `Stream #${n}: which ocean?` });
      let text = "";
      for await (const delta of result.textStream) text += delta;
      return text;
    })(),
    askWeather(n),
  ]);
  return { asked: asked.text, streamed };
});

const rootOf = (t: Trace) => t.data.spans.find((s) => s.parentId === null)!;

describe("concurrent AI SDK calls", () => {
  const store = useRecordedHttpStore();
  beforeAll(() => vercelAi.autolog());

  it(`keeps ${REQUESTS} concurrent requests apart: each trace holds its own generateText, streamText and tool-calling agent, usage once`, async () => {
    serveTaggedReplies(REQUESTS);
    const results = await Promise.all(Array.from({ length: REQUESTS }, (_, n) => handleRequest(n)));
    results.forEach(({ asked, streamed }, n) => {
      expect(asked.startsWith(`#${n} `)).toBe(true);
      expect(streamed).toBe(`#${n} South Atlantic Ocean.`);
    });

    const traces = await storedTraces(store());
    expect(traces).toHaveLength(REQUESTS);
    const replyUsage = {
      input_tokens: recordedReply.usage.prompt_tokens,
      output_tokens: recordedReply.usage.completion_tokens,
      total_tokens: recordedReply.usage.total_tokens,
    };
    const seen = new Set<unknown>();
    for (const t of traces) {
      // the request's three calls under its root, each with its own steps, model calls and tools
      // (sorted: the three calls start side by side)
      expect(spanTree(t).sort()).toEqual(
        [
          "handle_request (UNKNOWN) OK",
          "  invoke_agent gpt-4o-mini (CHAIN) OK",
          "    step 1 (CHAIN) OK",
          "      chat gpt-4o-mini (CHAT_MODEL) OK",
          "  invoke_agent gpt-4o-mini (CHAIN) OK",
          "    step 1 (CHAIN) OK",
          "      chat gpt-4o-mini (CHAT_MODEL) OK",
          "  invoke_agent gpt-4o-mini (AGENT) OK",
          "    step 1 (CHAIN) OK",
          "      chat gpt-4o-mini (CHAT_MODEL) OK",
          "      execute_tool get_weather (TOOL) OK",
          "        look_up_station (UNKNOWN) OK",
          "      execute_tool get_weather (TOOL) OK",
          "        look_up_station (UNKNOWN) OK",
          "    step 2 (CHAIN) OK",
          "      chat gpt-4o-mini (CHAT_MODEL) OK",
        ].sort(),
      );
      const n = rootOf(t).inputs as { n?: number } | number;
      const tag = `#${typeof n === "number" ? n : String(n.n)}`;
      seen.add(tag);
      // every model call and call in this trace asked this request's question, none another's
      const calls = t.data.spans.filter((s) => s.spanType === "CHAT_MODEL" || s.name.startsWith("invoke_agent"));
      expect(calls).toHaveLength(7);
      for (const span of calls) {
        const asked = JSON.stringify(span.inputs);
        expect(asked).toContain(`${tag}:`);
        expect(asked.match(/#\d+:/g)?.every((found) => found === `${tag}:`)).toBe(true);
      }
      // the tagged answers of its plain and streamed calls (model call, call, and the request root), no other
      const answered = t.data.spans.flatMap((s) => JSON.stringify(s.outputs).match(/#\d+ /g) ?? []);
      expect(answered).toEqual(Array(6).fill(`${tag} `));
      // the app code run by its tools, under its TOOL spans
      const stations = t.data.spans.filter((s) => s.name === "look_up_station");
      const toolIds = new Set(t.data.spans.filter((s) => s.spanType === "TOOL").map((s) => s.spanId));
      expect(stations.map((s) => (s.inputs as { request: number }).request)).toEqual([
        Number(tag.slice(1)),
        Number(tag.slice(1)),
      ]);
      expect(stations.every((s) => toolIds.has(s.parentId!))).toBe(true);
      expect(t.info.tokenUsage).toEqual({
        input_tokens: replyUsage.input_tokens + STREAM_USAGE.input_tokens + WEATHER_USAGE.input_tokens,
        output_tokens: replyUsage.output_tokens + STREAM_USAGE.output_tokens + WEATHER_USAGE.output_tokens,
        total_tokens: replyUsage.total_tokens + STREAM_USAGE.total_tokens + WEATHER_USAGE.total_tokens,
      });
    }
    expect(seen.size).toBe(REQUESTS);
  });
});
