import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { autolog } from "@tracewright/bedrock";
import { SpanAttributeKey } from "@tracewright/core";
import { freshMemoryStore, spanTree, storedTraces } from "@tracewright/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { WeatherAgent } from "../src/agent.ts";
import { startReplayEndpoint, weatherReplies } from "../src/replay-endpoint.ts";

beforeAll(async () => {
  await autolog();
});

describe("bedrock-converse example", () => {
  it("records the agent loop as one trace: Converse calls, the tool run, token usage", async () => {
    const store = freshMemoryStore();
    const endpoint = await startReplayEndpoint(await weatherReplies());
    const client = new BedrockRuntimeClient({
      region: "us-east-1",
      endpoint: endpoint.url,
      credentials: { accessKeyId: "AKIDEXAMPLEFAKE000000", secretAccessKey: "replay-needs-no-secret" },
    });
    try {
      const answer = await new WeatherAgent(client).ask("What's the weather in Seattle?");
      expect(answer).toBe("It is 12°C and light rain in Seattle right now, so bring an umbrella.");
    } finally {
      client.destroy();
      await endpoint.close();
    }

    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "weather_agent (AGENT) OK",
      "  BedrockRuntime.converse (CHAT_MODEL) OK",
      "  get_weather (TOOL) OK",
      "  BedrockRuntime.converse (CHAT_MODEL) OK",
    ]);
    const [tool] = t!.searchSpans({ spanType: "TOOL" });
    expect([tool!.inputs, tool!.outputs]).toEqual([{ city: "Seattle" }, { tempC: 12, sky: "light rain" }]);
    const [first, second] = t!.searchSpans({ spanType: "CHAT_MODEL" });
    expect(first!.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "get_weather" }) }),
    ]);
    const messages = second!.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant"]);
    expect(t!.info.tokenUsage).toMatchObject({ input_tokens: 943, output_tokens: 111, total_tokens: 1054 });
  });
});
