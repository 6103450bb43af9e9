import { SpanAttributeKey } from "@tracewright/core";
import { freshMemoryStore, nock, replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import * as vercelAi from "@tracewright/vercel-ai";
import { describe, expect, it } from "vitest";
import { askWeather } from "../src/agent.ts";

describe("vercel-ai-agent example", () => {
  it("records the agent's two steps, both model calls and both tool executions as one trace", async () => {
    nock.disableNetConnect();
    const store = freshMemoryStore();
    await vercelAi.autolog();
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const answer = await askWeather("What is the weather in New York City and London?", "replay-key");
    expect(answer).toContain("15 degrees and raining");

    const [t, ...others] = await storedTraces(store);
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
    const tools = t!.searchSpans({ spanType: "TOOL" });
    expect(tools.map((s) => s.outputs)).toEqual(["25 degrees and sunny", "15 degrees and raining"]);
    const [, answerCall] = t!.searchSpans({ spanType: "CHAT_MODEL" });
    const messages = answerCall!.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>;
    expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "tool", "assistant"]);
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 182, output_tokens: 72, total_tokens: 254 });
    await vercelAi.autolog({ disable: true });
    nock.cleanAll();
  });
});
