import { SpanAttributeKey } from "@tracewright/core";
import { autolog } from "@tracewright/openai";
import { freshMemoryStore, nock, replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { WeatherAgent } from "../src/agent.ts";

beforeAll(async () => {
  await autolog();
  nock.disableNetConnect();
});

describe("openai-chat example", () => {
  it("records the agent loop as one trace: model calls, tool runs, token usage", async () => {
    const store = freshMemoryStore();
    const scopes = replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const client = new OpenAI({ apiKey: "sk-replay", maxRetries: 0 });
    const answer = await new WeatherAgent(client).ask("What is the weather in New York City and London?");
    expect(answer).toContain("25 degrees and sunny");
    expect(scopes.every((s) => s.isDone())).toBe(true);

    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "weather_agent (AGENT) OK",
      "  Completions (CHAT_MODEL) OK",
      "  get_weather (TOOL) OK",
      "  get_weather (TOOL) OK",
      "  Completions (CHAT_MODEL) OK",
    ]);
    const tools = t!.searchSpans({ spanType: "TOOL" });
    expect(tools.map((s) => [s.inputs, s.outputs])).toEqual([
      [{ location: "New York City" }, "25 degrees and sunny"],
      [{ location: "London" }, "15 degrees and raining"],
    ]);
    const [, second] = t!.searchSpans({ spanType: "CHAT_MODEL" });
    const messages = second!.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "tool", "assistant"]);
    expect(t!.info.tokenUsage).toMatchObject({ input_tokens: 182, output_tokens: 72, total_tokens: 254 });
    expect(t!.data.spans[0]!.inputs).toEqual({ question: "What is the weather in New York City and London?" });
  });
});
