import { GoogleGenAI } from "@google/genai";
import { SpanAttributeKey } from "@tracewright/core";
import { autolog } from "@tracewright/google-genai";
import { freshMemoryStore, nock, spanTree, storedTraces } from "@tracewright/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { WeatherChat } from "../src/agent.ts";
import { replayWeatherConversation } from "../src/replay.ts";

beforeAll(async () => {
  await autolog();
  nock.disableNetConnect();
});

describe("gemini-chat example", () => {
  it("records the chat as one trace: chat messages, the tool run, the function response, token usage", async () => {
    const store = freshMemoryStore();
    const scopes = replayWeatherConversation();
    const answer = await new WeatherChat(new GoogleGenAI({ apiKey: "replay-key" })).ask(
      "What is the weather in London?",
    );
    expect(answer).toBe("It is 15 degrees and raining in London.");
    expect(scopes.every((s) => s.isDone())).toBe(true);

    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "weather_chat (AGENT) OK",
      "  Chat.sendMessage (CHAT_MODEL) OK",
      "  get_weather (TOOL) OK",
      "  Chat.sendMessage (CHAT_MODEL) OK",
    ]);
    const [tool] = t!.searchSpans({ spanType: "TOOL" });
    expect([tool!.inputs, tool!.outputs]).toEqual([{ location: "London" }, "15 degrees and raining"]);
    const [, second] = t!.searchSpans({ spanType: "CHAT_MODEL" });
    const messages = second!.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>;
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(second!.inputs).toEqual({
      message: [{ functionResponse: { name: "get_weather", response: { report: "15 degrees and raining" } } }],
    });
    expect(t!.info.tokenUsage).toMatchObject({ input_tokens: 1192, output_tokens: 70, total_tokens: 1262 });
    expect(t!.data.spans[0]!.inputs).toEqual({ question: "What is the weather in London?" });
  });
});
