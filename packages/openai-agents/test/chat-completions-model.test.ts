/**
 * Agents on the Chat Completions API (`OpenAIChatCompletionsModel`): the SDK's generation span
 * becomes a CHAT_MODEL span with the conversation and the usage the API reported, and with
 * `@tracewright/openai` on, the SDK call nests under it and the trace counts the usage once.
 */
import {
  Agent,
  BatchTraceProcessor,
  OpenAIChatCompletionsModel,
  run,
  setTraceProcessors,
  setTracingDisabled,
  type TracingProcessor,
} from "@openai/agents";
import { SpanAttributeKey, trace } from "@tracewright/core";
import * as tracedOpenAI from "@tracewright/openai";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import OpenAI, * as openaiModule from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import * as agents from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const QUESTION = "Answer in up to 3 words: Which ocean contains Bouvet Island?";
const ANSWER = "Atlantic Ocean.";
const USAGE = { input_tokens: 22, output_tokens: 3, total_tokens: 25 };

const askOnce = () => {
  const model = new OpenAIChatCompletionsModel(new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 }), "gpt-4o-mini");
  return trace(async () => run(new Agent({ name: "Chat agent", instructions: "Answer.", model }), QUESTION), {
    name: "handle_request",
  })();
};

describe("agents on the Chat Completions API", () => {
  const store = useRecordedHttpStore();
  beforeAll(() => {
    setTracingDisabled(false); // the SDK turns tracing off under NODE_ENV=test
    // the SDK's batch exporter first, as @openai/agents registers it (exporting nowhere here)
    void agents.autolog(); // not awaited: the processor is registered before autolog returns
    setTraceProcessors([
      new BatchTraceProcessor({ export: async () => {} }),
      agents.autologProcessor() as TracingProcessor,
    ]);
  });

  it("records the generation with its conversation and the API's token usage", async () => {
    replayNockRecording("chat-completion-basic.json");
    const result = await askOnce();
    expect(result.finalOutput).toBe(ANSWER);

    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "handle_request (UNKNOWN) OK",
      "  Agent workflow (CHAIN) OK",
      "    Chat agent (AGENT) OK",
      "      turn 1: Chat agent (CHAIN) OK",
      "        Generation (CHAT_MODEL) OK",
    ]);
    const generation = t!.data.spans.find((s) => s.name === "Generation")!;
    expect(generation.attributes[SpanAttributeKey.CHAT_MESSAGES]).toEqual([
      { role: "system", content: "Answer." },
      { role: "user", content: QUESTION },
      expect.objectContaining({ role: "assistant", content: ANSWER }),
    ]);
    expect(generation.attributes[SpanAttributeKey.CHAT_USAGE]).toEqual(USAGE);
    expect(t!.info.tokenUsage).toEqual(USAGE);
    expect(t!.data.spans.find((s) => s.name === "Agent workflow")!.outputs).toBe(ANSWER);
  });

  it("with @tracewright/openai on, nests the SDK call under the generation and counts its usage once", async () => {
    await tracedOpenAI.autolog();
    tracedOpenAI.instrumentOpenAIModule(openaiModule);
    try {
      replayNockRecording("chat-completion-basic.json");
      await askOnce();
    } finally {
      await tracedOpenAI.autolog({ disable: true });
    }
    const traces = await storedTraces(store());
    expect(traces.map(spanTree)).toEqual([
      [
        "handle_request (UNKNOWN) OK",
        "  Agent workflow (CHAIN) OK",
        "    Chat agent (AGENT) OK",
        "      turn 1: Chat agent (CHAIN) OK",
        "        Generation (CHAT_MODEL) OK",
        "          Completions (CHAT_MODEL) OK",
      ],
    ]);
    expect(traces[0]!.info.tokenUsage).toMatchObject(USAGE);
  });
});
