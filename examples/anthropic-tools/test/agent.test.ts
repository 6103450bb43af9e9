import Anthropic from "@anthropic-ai/sdk";
import { autolog } from "@tracewright/anthropic";
import { SpanAttributeKey } from "@tracewright/core";
import { freshMemoryStore, nock, spanTree, storedTraces } from "@tracewright/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { WeatherAgent } from "../src/agent.ts";
import { replayWeatherLoop } from "../src/replay.ts";

beforeAll(async () => {
  await autolog();
  nock.disableNetConnect();
});

describe("anthropic-tools example", () => {
  it("records the tool-use loop as one trace: model calls with thinking, the tool run, token usage", async () => {
    const store = freshMemoryStore();
    const scopes = replayWeatherLoop();
    const client = new Anthropic({ apiKey: "sk-ant-replay", maxRetries: 0 });
    const answer = await new WeatherAgent(client).ask("What's the weather like in San Francisco?");
    expect(answer).toBe("It is 18°C and foggy in San Francisco right now.");
    expect(scopes.every((s) => s.isDone())).toBe(true);

    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "weather_agent (AGENT) OK",
      "  Messages.create (CHAT_MODEL) OK",
      "  get_weather (TOOL) OK",
      "  Messages.create (CHAT_MODEL) OK",
    ]);
    const [tool] = t!.searchSpans({ spanType: "TOOL" });
    expect([tool!.inputs, tool!.outputs]).toEqual([{ location: "San Francisco" }, "18°C, foggy"]);
    const [first, second] = t!.searchSpans({ spanType: "CHAT_MODEL" });
    expect((first!.outputs as Anthropic.Message).content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    const messages = second!.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>;
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(second!.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Get the current weather in a given location",
          parameters: expect.objectContaining({ required: ["location"] }),
        },
      },
    ]);
    // 596 + 99 for the tool turn, 712 + 17 for the answer
    expect(t!.info.tokenUsage).toMatchObject({ input_tokens: 1308, output_tokens: 116, total_tokens: 1424 });
    expect(t!.data.spans[0]!.inputs).toEqual({ question: "What's the weather like in San Francisco?" });
    expect(t!.data.spans[0]!.outputs).toBe(answer);
  });
});
