import { OpenAI } from "@llamaindex/openai";
import { agent } from "@llamaindex/workflow";
import { type Span, SpanAttributeKey } from "@tracewright/core";
import { readRecordingText, replayBody, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { tool } from "llamaindex";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as llamaindex from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const CITY = z.object({ city: z.string() });
const ANSWER = "In Paris it is 18°C and sunny, and the local time is 14:05.";

function replayAgentTurns(): void {
  replayBody({
    path: "/v1/chat/completions",
    body: readRecordingText("handwritten-chat-streaming-two-tool-calls.sse"),
  });
  replayBody({ path: "/v1/chat/completions", body: readRecordingText("handwritten-chat-streaming-final-answer.sse") });
}

function weatherAgent(getTime: (input: { city: string }) => string) {
  return agent({
    llm: new OpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }),
    tools: [
      tool({
        name: "get_weather",
        description: "Weather in a city",
        parameters: CITY,
        execute: ({ city }: { city: string }) => `18°C and sunny in ${city}`,
      }),
      tool({ name: "get_time", description: "Local time in a city", parameters: CITY, execute: getTime }),
    ],
  });
}

const spansNamed = (spans: Span[], name: string) => spans.filter((s) => s.name === name);

const EXPECTED_TREE = [
  "AgentWorkflow.run (AGENT) OK",
  "  Agent (AGENT) OK",
  "    OpenAI.chat (CHAT_MODEL) OK",
  "  get_weather (TOOL) OK",
  "  get_time (TOOL) %s",
  "  Agent (AGENT) OK",
  "    OpenAI.chat (CHAT_MODEL) OK",
];

describe("agent() from @llamaindex/workflow", () => {
  const store = useRecordedHttpStore();
  beforeAll(async () => {
    await llamaindex.autolog();
  });

  it("records the run as an AGENT root with agent steps, CHAT_MODEL and TOOL spans", async () => {
    replayAgentTurns();
    const result = await weatherAgent(() => "14:05").run("What's the weather and time in Paris?");
    expect(result.data.result).toBe(ANSWER);

    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    const run = traces[0]!;
    expect(spanTree(run)).toEqual(EXPECTED_TREE.map((l) => l.replace("%s", "OK")));
    const spans = run.data.spans;
    const root = spans.find((s) => s.parentId === null)!;
    expect(root.inputs).toEqual({ user_input: "What's the weather and time in Paris?" });
    expect(root.outputs).toMatchObject({ result: ANSWER });

    const [weather] = spansNamed(spans, "get_weather");
    expect(weather?.inputs).toEqual({ city: "Paris" });
    expect(weather?.outputs).toBe("18°C and sunny in Paris");
    expect(weather?.attributes.description).toBe("Weather in a city");

    const [decide, answer] = spansNamed(spans, "OpenAI.chat");
    const tools = decide?.attributes[SpanAttributeKey.CHAT_TOOLS] as Array<{ function: { name: string } }>;
    expect(tools.map((t) => t.function.name)).toEqual(["get_weather", "get_time"]);
    const decided = decide?.attributes[SpanAttributeKey.CHAT_MESSAGES] as Array<Record<string, unknown>>;
    expect(decided.at(-1)).toMatchObject({
      role: "assistant",
      tool_calls: [
        {
          id: "call_weather_paris",
          type: "function",
          function: { name: "get_weather", arguments: '{"city":"Paris"}' },
        },
        { id: "call_time_paris", type: "function", function: { name: "get_time", arguments: '{"city":"Paris"}' } },
      ],
    });
    // the second turn sees both tool results as tool messages
    const answered = answer?.attributes[SpanAttributeKey.CHAT_MESSAGES] as Array<Record<string, unknown>>;
    expect(answered.filter((m) => m.role === "tool")).toEqual([
      { role: "tool", tool_call_id: "call_weather_paris", content: "18°C and sunny in Paris" },
      { role: "tool", tool_call_id: "call_time_paris", content: "14:05" },
    ]);
    expect(answered.at(-1)).toEqual({ role: "assistant", content: ANSWER });
    expect(run.info.tokenUsage).toEqual({ input_tokens: 260, output_tokens: 58, total_tokens: 318 });
  });

  it("marks a failing tool ERROR with its exception while the run goes on", async () => {
    replayAgentTurns();
    const result = await weatherAgent(() => {
      throw new Error("clock service unavailable");
    }).run("What's the weather and time in Paris?");
    expect(result.data.result).toBe(ANSWER);

    const [run] = await storedTraces(store());
    expect(spanTree(run!)).toEqual(EXPECTED_TREE.map((l) => l.replace("%s", "ERROR")));
    const [failed] = spansNamed(run!.data.spans, "get_time");
    expect(failed?.status.description).toContain("clock service unavailable");
    const exception = failed?.events.find((e) => e.name === "exception");
    expect(exception?.attributes["exception.message"]).toBe("clock service unavailable");
    expect(String(exception?.attributes["exception.stacktrace"])).toContain("Error: clock service unavailable");
  });
});
