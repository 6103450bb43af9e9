import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { SpanAttributeKey } from "@tracewright/core";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { describe, expect, it } from "vitest";
import { TracewrightCallbackHandler } from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const store = useRecordedHttpStore();

const WEATHER: Record<string, string> = {
  "New York City": "25 degrees and sunny",
  London: "15 degrees and raining",
};

const getWeather = tool(async ({ location }: { location: string }) => WEATHER[location] ?? "unknown", {
  name: "get_weather",
  description: "Current weather for a location",
  schema: { type: "object" as const, properties: { location: { type: "string" as const } }, required: ["location"] },
});

describe("LangGraph prebuilt ReAct agent", () => {
  it("records graph, node, model and tool spans in one trace, in order", async () => {
    const scopes = replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const agent = createReactAgent({
      llm: new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }),
      tools: [getWeather],
    });
    const result = await agent.invoke(
      { messages: [{ role: "user", content: "What is the weather in New York City and London?" }] },
      { callbacks: [new TracewrightCallbackHandler()] },
    );
    expect(String(result.messages.at(-1)!.content)).toContain("25 degrees and sunny");
    expect(scopes.every((s) => s.isDone())).toBe(true);

    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    const root = t.data.spans.find((s) => s.parentId === null)!;
    expect(root.spanType).toBe("CHAIN");
    const ids = new Set(t.data.spans.map((s) => s.spanId));
    for (const s of t.data.spans) if (s.parentId !== null) expect(ids.has(s.parentId)).toBe(true);

    const typed = t.data.spans
      .filter((s) => s.spanType === "CHAT_MODEL" || s.spanType === "TOOL")
      .sort((a, b) => a.startTimeNs - b.startTimeNs)
      .map((s) => `${s.name} (${s.spanType})`);
    expect(typed).toEqual([
      "ChatOpenAI (CHAT_MODEL)",
      "get_weather (TOOL)",
      "get_weather (TOOL)",
      "ChatOpenAI (CHAT_MODEL)",
    ]);

    const tools = t.searchSpans({ spanType: "TOOL" }).sort((a, b) => a.startTimeNs - b.startTimeNs);
    expect(tools.map((s) => s.outputs).sort()).toEqual(["15 degrees and raining", "25 degrees and sunny"]);
    const nodes = t.data.spans
      .filter((s) => s.getAttribute("langgraph.node") !== undefined)
      .map((s) => s.getAttribute("langgraph.node"));
    expect(nodes).toContain("agent");
    expect(nodes).toContain("tools");
    const firstModel = t.searchSpans({ spanType: "CHAT_MODEL" }).sort((a, b) => a.startTimeNs - b.startTimeNs)[0]!;
    expect(firstModel.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "get_weather" }) }),
    ]);
    const last = (firstModel.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ tool_calls?: unknown[] }>).at(-1)!;
    expect(last.tool_calls).toHaveLength(2);
    expect(t.info.tokenUsage).toMatchObject({ input_tokens: 182, output_tokens: 72, total_tokens: 254 });
    expect(spanTree(t)[0]).toMatch(/^\S.* \(CHAIN\) OK$/);
  });
});
