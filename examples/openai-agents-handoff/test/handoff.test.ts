import { setDefaultOpenAIClient, setTraceProcessors } from "@openai/agents";
import { SpanAttributeKey } from "@tracewright/core";
import { autolog } from "@tracewright/openai-agents";
import { freshMemoryStore, nock, readRecordingText, replayBody, spanTree, storedTraces } from "@tracewright/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { converse } from "../src/agents.ts";

describe("openai-agents-handoff example", () => {
  it("records the triage, the handoff and the Spanish agent's answer as one trace", async () => {
    nock.disableNetConnect();
    const store = freshMemoryStore();
    setTraceProcessors([]);
    await autolog();
    setDefaultOpenAIClient(new OpenAI({ apiKey: "replay-key", maxRetries: 0 }));
    replayBody({ path: "/v1/responses", body: readRecordingText("handwritten-responses-handoff-call.json") });
    replayBody({ path: "/v1/responses", body: readRecordingText("handwritten-responses-spanish-answer.json") });
    expect(await converse("Hola, ¿cómo estás?")).toBe("¡Hola! Estoy muy bien, gracias. ¿Y tú?");

    const [t, ...others] = await storedTraces(store);
    expect(others).toHaveLength(0);
    expect(spanTree(t!)).toEqual([
      "Agent workflow (CHAIN) OK",
      "  triage_agent (AGENT) OK",
      "    turn 1: triage_agent (CHAIN) OK",
      "      Response (CHAT_MODEL) OK",
      "      Handoff: triage_agent -> spanish_agent (CHAIN) OK",
      "  spanish_agent (AGENT) OK",
      "    turn 2: spanish_agent (CHAIN) OK",
      "      Response (CHAT_MODEL) OK",
    ]);
    const handoff = t!.data.spans.find((s) => s.name.startsWith("Handoff"))!;
    expect(handoff.inputs).toEqual({ from_agent: "triage_agent" });
    expect(handoff.outputs).toEqual({ to_agent: "spanish_agent" });
    const [decide] = t!.searchSpans({ spanType: "CHAT_MODEL" });
    const messages = decide!.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<Record<string, unknown>>;
    expect(messages.at(-1)).toMatchObject({
      role: "assistant",
      tool_calls: [{ function: { name: "transfer_to_spanish_agent", arguments: "{}" } }],
    });
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 129, output_tokens: 26, total_tokens: 155 });
    nock.cleanAll();
  });
});
