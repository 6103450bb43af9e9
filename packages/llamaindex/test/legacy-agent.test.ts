import { OpenAI, OpenAIAgent } from "@llamaindex/openai";
import { SpanAttributeKey } from "@tracewright/core";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { FunctionTool } from "llamaindex";
import { beforeAll, describe, expect, it } from "vitest";
import * as llamaindex from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

describe("legacy agents (AgentRunner): OpenAIAgent", () => {
  const store = useRecordedHttpStore();
  beforeAll(async () => {
    await llamaindex.autolog();
  });

  it("records a chat turn as an AGENT span with its model calls and tool calls", async () => {
    // real recorded traffic: two parallel get_weather calls, then the answer built on their results
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const getWeather = FunctionTool.from(
      ({ location }: { location: string }) =>
        location === "London" ? "15 degrees and raining" : "25 degrees and sunny",
      {
        name: "get_weather",
        description: "The current weather in a location",
        parameters: {
          type: "object",
          properties: { location: { type: "string" } },
          required: ["location"],
        },
      },
    );
    const agent = new OpenAIAgent({
      llm: new OpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }),
      tools: [getWeather],
      systemPrompt: "You are a helpful assistant providing weather updates.",
    });
    const response = await agent.chat({ message: "What is the weather in New York City and London?" });
    expect(String(response.message.content)).toContain("15 degrees and raining");

    const [t, ...others] = await storedTraces(store());
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "OpenAIAgent.chat (AGENT) OK",
      "  OpenAI.chat (CHAT_MODEL) OK",
      "  get_weather (TOOL) OK",
      "  get_weather (TOOL) OK",
      "  OpenAI.chat (CHAT_MODEL) OK",
    ]);
    const root = t!.data.spans[0]!;
    expect(root.inputs).toMatchObject({ message: "What is the weather in New York City and London?" });
    expect(String(root.outputs)).toContain("25 degrees and sunny");
    const tools = t!.data.spans.filter((s) => s.spanType === "TOOL");
    expect(tools.map((s) => s.outputs)).toEqual(
      expect.arrayContaining(["25 degrees and sunny", "15 degrees and raining"]),
    );
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 182, output_tokens: 72, total_tokens: 254 });
    const last = t!.data.spans.filter((s) => s.spanType === "CHAT_MODEL").at(-1)!;
    const roles = (last.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>).map((m) => m.role);
    expect(roles).toEqual(["system", "user", "assistant", "tool", "tool", "assistant"]);
  });
});
