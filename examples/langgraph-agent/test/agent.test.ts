import { ChatOpenAI } from "@langchain/openai";
import { TracewrightCallbackHandler } from "@tracewright/langchain";
import { freshMemoryStore, nock, replayNockRecording, storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { buildWeatherAgent } from "../src/agent.ts";

describe("langgraph-agent example", () => {
  it("records the graph with model calls and tool runs in order, token usage summed", async () => {
    nock.disableNetConnect();
    const store = freshMemoryStore();
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "sk-replay", maxRetries: 0 });
    const result = await buildWeatherAgent(model).invoke(
      { messages: [{ role: "user", content: "What is the weather in New York City and London?" }] },
      { callbacks: [new TracewrightCallbackHandler()] },
    );
    expect(String(result.messages.at(-1)!.content)).toContain("15 degrees and raining");
    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    const root = t!.data.spans.find((s) => s.parentId === null)!;
    expect(root.name).toBe("weather_agent");
    const sequence = t!.data.spans
      .filter((s) => s.spanType === "CHAT_MODEL" || s.spanType === "TOOL")
      .sort((a, b) => a.startTimeNs - b.startTimeNs)
      .map((s) => s.spanType);
    expect(sequence).toEqual(["CHAT_MODEL", "TOOL", "TOOL", "CHAT_MODEL"]);
    const byId = new Map(t!.data.spans.map((s) => [s.spanId, s]));
    for (const toolSpan of t!.searchSpans({ spanType: "TOOL" })) {
      expect(byId.get(toolSpan.parentId!)?.getAttribute("langgraph.node")).toBe("tools");
    }
    expect(t!.info.tokenUsage?.total_tokens).toBe(254);
    nock.cleanAll();
  });
});
