import { type Span, SpanAttributeKey, trace } from "@tracewright/core";
import {
  readRecordingText,
  replayBody,
  replayHar,
  replayNockRecording,
  spanTree,
  storedTraces,
} from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { APICallError, embedMany, generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as vercelAi from "../src/index.js";
import { openai, weatherReport } from "./helpers.js";

const named = (spans: Span[], name: string) => spans.filter((s) => s.name === name);
const SYSTEM = "You are a helpful assistant providing weather updates.";
const QUESTION = "What is the weather in New York City and London?";
const ANSWER = "The weather in New York City is 25 degrees and sunny, while in London, it is 15 degrees and raining.";

function weatherTools(execute: (location: string) => Promise<string> | string = weatherReport) {
  return {
    get_weather: tool({
      description: "The current weather in a location",
      inputSchema: z.object({ location: z.string() }),
      execute: async ({ location }) => execute(location),
    }),
  };
}

const askWeather = (execute?: (location: string) => Promise<string> | string) =>
  generateText({
    model: openai.chat("gpt-4o-mini"),
    system: SYSTEM,
    prompt: QUESTION,
    tools: weatherTools(execute),
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });

describe("Vercel AI SDK calls", () => {
  const store = useRecordedHttpStore();
  beforeAll(() => vercelAi.autolog());

  it("records a multi-step generateText with tools as an AGENT with steps, model calls and tool executions", async () => {
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const result = await askWeather();
    expect(result.text).toBe(ANSWER);

    const [t, ...others] = await storedTraces(store());
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "invoke_agent gpt-4o-mini (AGENT) OK",
      "  step 1 (CHAIN) OK",
      "    chat gpt-4o-mini (CHAT_MODEL) OK",
      "    execute_tool get_weather (TOOL) OK",
      "    execute_tool get_weather (TOOL) OK",
      "  step 2 (CHAIN) OK",
      "    chat gpt-4o-mini (CHAT_MODEL) OK",
    ]);
    const spans = t!.data.spans;
    const root = spans[0]!;
    expect(root.inputs).toEqual({
      messages: [
        { role: "system", content: SYSTEM },
        { role: "user", content: QUESTION },
      ],
    });
    expect(root.outputs).toBe(ANSWER);

    const tools = named(spans, "execute_tool get_weather");
    expect(tools.map((s) => [s.inputs, s.outputs])).toEqual([
      [{ location: "New York City" }, "25 degrees and sunny"],
      [{ location: "London" }, "15 degrees and raining"],
    ]);
    expect(tools[0]!.getAttribute("gen_ai.tool.call.id")).toBe("call_PXP2udMH0QECumyxuh4lpn3y");

    const [first, second] = named(spans, "chat gpt-4o-mini");
    expect(first!.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "The current weather in a location",
          parameters: expect.objectContaining({ properties: { location: { type: "string" } } }),
        },
      },
    ]);
    expect(first!.getAttribute(SpanAttributeKey.MODEL)).toBe("gpt-4o-mini-2024-07-18");
    expect(first!.getAttribute(SpanAttributeKey.PROVIDER)).toBe("openai");
    expect(first!.getAttribute(SpanAttributeKey.CHAT_USAGE)).toEqual({
      input_tokens: 57,
      output_tokens: 46,
      total_tokens: 103,
    });
    const toolCall = (id: string, location: string) => ({
      id,
      type: "function",
      function: { name: "get_weather", arguments: JSON.stringify({ location }) },
    });
    expect(second!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "system", content: SYSTEM },
      { role: "user", content: QUESTION },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          toolCall("call_PXP2udMH0QECumyxuh4lpn3y", "New York City"),
          toolCall("call_TKk9c7b7gvDqCQzv80Loc7fT", "London"),
        ],
      },
      { role: "tool", tool_call_id: "call_PXP2udMH0QECumyxuh4lpn3y", content: "25 degrees and sunny" },
      { role: "tool", tool_call_id: "call_TKk9c7b7gvDqCQzv80Loc7fT", content: "15 degrees and raining" },
      { role: "assistant", content: ANSWER },
    ]);
    expect(second!.outputs).toMatchObject({
      choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }],
    });
    // the trace total counts each model call once, not again through the agent span
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 182, output_tokens: 72, total_tokens: 254 });
    expect(t!.info.requestPreview).toContain(QUESTION);
    expect(t!.info.responsePreview).toContain("25 degrees and sunny");
  });

  it("nests the call under the caller's trace() and the tool's own traced code under its TOOL span", async () => {
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const lookUp = trace(async function look_up_station(location: string) {
      return weatherReport(location);
    });
    const answer = await trace(async function weather_desk() {
      return (await askWeather((location) => lookUp(location))).text;
    })();
    expect(answer).toBe(ANSWER);

    const [t, ...others] = await storedTraces(store());
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "weather_desk (UNKNOWN) OK",
      "  invoke_agent gpt-4o-mini (AGENT) OK",
      "    step 1 (CHAIN) OK",
      "      chat gpt-4o-mini (CHAT_MODEL) OK",
      "      execute_tool get_weather (TOOL) OK",
      "        look_up_station (UNKNOWN) OK",
      "      execute_tool get_weather (TOOL) OK",
      "        look_up_station (UNKNOWN) OK",
      "    step 2 (CHAIN) OK",
      "      chat gpt-4o-mini (CHAT_MODEL) OK",
    ]);
  });

  it("records a tool that throws as an ERROR TOOL span while the run goes on", async () => {
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const result = await askWeather((location) => {
      if (location === "London") throw new Error("London station offline");
      return weatherReport(location);
    });
    expect(typeof result.text).toBe("string");

    const [t] = await storedTraces(store());
    const [newYork, london] = named(t!.data.spans, "execute_tool get_weather");
    expect(newYork!.status.statusCode).toBe("OK");
    expect(london!.status.statusCode).toBe("ERROR");
    expect(london!.status.description).toContain("London station offline");
    expect(london!.events.find((e) => e.name === "exception")?.attributes["exception.message"]).toBe(
      "London station offline",
    );
    expect(t!.data.spans[0]!.status.statusCode).toBe("OK");
  });

  it("records a streamText call once its stream is read: the text, and the usage of the last chunk", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const result = streamText({ model: openai.chat("gpt-4o-mini"), prompt: "Answer in three words: which ocean?" });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe("South Atlantic Ocean.");

    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "invoke_agent gpt-4o-mini (CHAIN) OK",
      "  step 1 (CHAIN) OK",
      "    chat gpt-4o-mini (CHAT_MODEL) OK",
    ]);
    const [root, , chat] = t!.data.spans;
    expect(root!.outputs).toBe("South Atlantic Ocean.");
    expect(chat!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "user", content: "Answer in three words: which ocean?" },
      { role: "assistant", content: "South Atlantic Ocean." },
    ]);
    expect(chat!.getAttribute(SpanAttributeKey.CHAT_USAGE)).toEqual({
      input_tokens: 22,
      output_tokens: 4,
      total_tokens: 26,
    });
    expect(chat!.getAttribute("gen_ai.client.operation.time_to_first_chunk")).toEqual(expect.any(Number));
  });

  it("records a streamText agent that calls tools while streaming, the stream staying the caller's", async () => {
    replayBody({
      path: "/v1/chat/completions",
      body: readRecordingText("handwritten-chat-streaming-two-tool-calls.sse"),
    });
    replayBody({
      path: "/v1/chat/completions",
      body: readRecordingText("handwritten-chat-streaming-final-answer.sse"),
    });
    const city = z.object({ city: z.string() });
    const result = streamText({
      model: openai.chat("gpt-4o-mini"),
      prompt: "What's the weather and time in Paris?",
      tools: {
        get_weather: tool({ inputSchema: city, execute: async ({ city: c }) => `18°C and sunny in ${c}` }),
        get_time: tool({ inputSchema: city, execute: async () => "14:05" }),
      },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type);
    expect(parts.filter((p) => p === "tool-result")).toHaveLength(2);
    expect(await result.text).toBe("In Paris it is 18°C and sunny, and the local time is 14:05.");

    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "invoke_agent gpt-4o-mini (AGENT) OK",
      "  step 1 (CHAIN) OK",
      "    chat gpt-4o-mini (CHAT_MODEL) OK",
      "    execute_tool get_weather (TOOL) OK",
      "    execute_tool get_time (TOOL) OK",
      "  step 2 (CHAIN) OK",
      "    chat gpt-4o-mini (CHAT_MODEL) OK",
    ]);
    const tools = t!.data.spans.filter((s) => s.spanType === "TOOL");
    expect(tools.map((s) => [s.inputs, s.outputs])).toEqual([
      [{ city: "Paris" }, "18°C and sunny in Paris"],
      [{ city: "Paris" }, "14:05"],
    ]);
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 260, output_tokens: 58, total_tokens: 318 });
  });

  it("records embedMany as EMBEDDING spans with the texts, the vectors' shape and the token usage", async () => {
    replayNockRecording("embeddings-basic.json");
    const values = ["One fish", "two fish", "red fish", "blue fish"];
    const { embeddings } = await embedMany({ model: openai.embedding("text-embedding-3-small"), values });
    expect(embeddings).toHaveLength(4);

    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "embeddings text-embedding-3-small (EMBEDDING) OK",
      "  embeddings text-embedding-3-small (EMBEDDING) OK",
    ]);
    const [call, model] = t!.data.spans;
    expect(call!.inputs).toEqual({ input: values });
    expect(call!.outputs).toEqual({ count: 4, dimensions: 1536 });
    expect(model!.getAttribute(SpanAttributeKey.CHAT_USAGE)).toEqual({
      input_tokens: 8,
      output_tokens: 0,
      total_tokens: 8,
    });
    // vectors are not stored
    expect(JSON.stringify(t!.data.spans.map((s) => s.toDict()))).not.toContain("-0.00005145201");
  });

  it("records generateObject as a CHAIN whose output is the object", async () => {
    replayHar("ai-sdk-generate-object.har");
    const { object } = await generateObject({
      model: openai("gpt-4o-mini"),
      schema: z.object({ name: z.string(), age: z.number(), occupation: z.string() }),
      prompt: "Generate a person profile for a software engineer",
    });
    expect(object).toEqual({ name: "Alice Johnson", age: 29, occupation: "Software Engineer" });

    const [t] = await storedTraces(store());
    expect(spanTree(t!)[0]).toBe("invoke_agent gpt-4o-mini (CHAIN) OK");
    expect(t!.data.spans[0]!.outputs).toEqual(object);
    const model = t!.data.spans.find((s) => s.spanType === "CHAT_MODEL");
    expect(model?.getAttribute(SpanAttributeKey.CHAT_USAGE)).toEqual({
      input_tokens: 51,
      output_tokens: 16,
      total_tokens: 67,
    });
  });

  it("rethrows the provider's error unchanged and records it on the model call and the call", async () => {
    replayBody({ path: "/v1/chat/completions", status: 401, body: readRecordingText("handwritten-error-401.json") });
    const error = await generateText({ model: openai.chat("gpt-4o-mini"), prompt: "Hi", maxRetries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(401);

    const [t] = await storedTraces(store());
    const root = t!.data.spans[0]!;
    expect(root.status.statusCode).toBe("ERROR");
    expect(root.status.description).toContain("Incorrect API key provided");
    const chat = t!.data.spans.find((s) => s.spanType === "CHAT_MODEL");
    expect(chat?.status.statusCode).toBe("ERROR");
    expect(chat?.getAttribute("http.response.status_code")).toBe(401);
  });
});
