import {
  Agent,
  InputGuardrailTripwireTriggered,
  run,
  setDefaultOpenAIClient,
  setTraceProcessors,
  setTracingDisabled,
  tool,
} from "@openai/agents";
import { type Span, SpanAttributeKey, trace } from "@tracewright/core";
import * as tracedOpenAI from "@tracewright/openai";
import { readRecordingText, replayBody, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import OpenAI, * as openaiModule from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as agents from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const respond = (name: string) => replayBody({ path: "/v1/responses", body: readRecordingText(name) });
const named = (spans: Span[], name: string) => spans.find((s) => s.name === name);

const getWeather = tool({
  name: "get_weather",
  description: "Weather in a city",
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => `18°C and sunny in ${city}`,
});

describe("OpenAI Agents SDK runs", () => {
  const store = useRecordedHttpStore();
  beforeAll(() => {
    setTracingDisabled(false); // the SDK turns tracing off under NODE_ENV=test
    setTraceProcessors([]); // no export to OpenAI's backend from tests
    setDefaultOpenAIClient(new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 }));
    agents.autolog();
  });

  it("records a two-agent handoff as one trace: agents, responses and the handoff that names both", async () => {
    respond("handwritten-responses-handoff-call.json");
    respond("handwritten-responses-spanish-answer.json");
    const spanish = new Agent({ name: "spanish_agent", instructions: "You only speak Spanish." });
    const triage = new Agent({
      name: "triage_agent",
      instructions: "Hand off to the right agent.",
      handoffs: [spanish],
    });
    const result = await run(triage, "Hola, ¿cómo estás?");
    expect(result.finalOutput).toBe("¡Hola! Estoy muy bien, gracias. ¿Y tú?");

    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    const tree = spanTree(t);
    expect(tree[0]).toBe("Agent workflow (CHAIN) OK");
    expect(tree).toEqual([
      "Agent workflow (CHAIN) OK",
      "  triage_agent (AGENT) OK",
      "    turn 1: triage_agent (CHAIN) OK",
      "      Response (CHAT_MODEL) OK",
      "      Handoff: triage_agent -> spanish_agent (CHAIN) OK",
      "  spanish_agent (AGENT) OK",
      "    turn 2: spanish_agent (CHAIN) OK",
      "      Response (CHAT_MODEL) OK",
    ]);
    expect(tree.filter((l) => l.includes("(CHAT_MODEL)"))).toHaveLength(2);
    const root = t.data.spans.find((s) => s.parentId === null)!;
    expect(root.inputs).toBe("Hola, ¿cómo estás?");
    expect(root.outputs).toBe("¡Hola! Estoy muy bien, gracias. ¿Y tú?");
    expect(named(t.data.spans, "triage_agent")?.attributes.handoffs).toEqual(["spanish_agent"]);
    expect(t.info.tokenUsage).toEqual({ input_tokens: 129, output_tokens: 26, total_tokens: 155 });
  });

  it("records function tools as TOOL spans and responses as CHAT_MODEL with messages, tools and usage", async () => {
    respond("handwritten-responses-two-tool-calls.json");
    respond("handwritten-responses-weather-answer.json");
    const getTime = tool({
      name: "get_time",
      description: "Local time in a city",
      parameters: z.object({ city: z.string() }),
      execute: async () => "14:05",
    });
    const assistant = new Agent({
      name: "Weather agent",
      instructions: "Use the tools.",
      tools: [getWeather, getTime],
    });
    const result = await run(assistant, "What's the weather and time in Paris?");
    expect(result.finalOutput).toBe("In Paris it is 18°C and sunny, and the local time is 14:05.");

    const [t] = await storedTraces(store());
    const spans = t!.data.spans;
    expect(spanTree(t!)).toEqual([
      "Agent workflow (CHAIN) OK",
      "  Weather agent (AGENT) OK",
      "    turn 1: Weather agent (CHAIN) OK",
      "      Response (CHAT_MODEL) OK",
      "      get_weather (TOOL) OK",
      "      get_time (TOOL) OK",
      "    turn 2: Weather agent (CHAIN) OK",
      "      Response (CHAT_MODEL) OK",
    ]);
    expect(named(spans, "Weather agent")?.attributes.tools).toEqual(["get_weather", "get_time"]);
    const weather = named(spans, "get_weather")!;
    expect(weather.inputs).toEqual({ city: "Paris" });
    expect(weather.outputs).toBe("18°C and sunny in Paris");
    expect(named(spans, "get_time")?.outputs).toBe("14:05");

    const responses = spans.filter((s) => s.spanType === "CHAT_MODEL");
    expect(responses).toHaveLength(2);
    const second = responses.sort((a, b) => a.startTimeNs - b.startTimeNs)[1]!;
    const messages = second.attributes[SpanAttributeKey.CHAT_MESSAGES] as Array<Record<string, unknown>>;
    expect(messages[0]).toEqual({ role: "user", content: "What's the weather and time in Paris?" });
    expect(messages.filter((m) => m.role === "tool")).toEqual([
      { role: "tool", tool_call_id: "call_weather_paris", content: "18°C and sunny in Paris" },
      { role: "tool", tool_call_id: "call_time_paris", content: "14:05" },
    ]);
    expect(messages.at(-1)).toEqual({
      role: "assistant",
      content: "In Paris it is 18°C and sunny, and the local time is 14:05.",
    });
    expect(second.attributes[SpanAttributeKey.CHAT_USAGE]).toEqual({
      input_tokens: 164,
      output_tokens: 17,
      total_tokens: 181,
    });
    const first = responses[0]!;
    const requested = first.attributes[SpanAttributeKey.CHAT_MESSAGES] as Array<Record<string, unknown>>;
    expect(requested.at(-1)?.tool_calls).toHaveLength(2);
  });

  it("records a tripped input guardrail, marks it, and the run's error", async () => {
    respond("handwritten-responses-weather-answer.json"); // the model call may run alongside the guardrail
    const guarded = new Agent({
      name: "Guarded agent",
      instructions: "Answer.",
      inputGuardrails: [
        {
          name: "no_homework",
          execute: async () => ({ tripwireTriggered: true, outputInfo: { reason: "homework" } }),
        },
      ],
    });
    await expect(run(guarded, "Solve my math homework")).rejects.toBeInstanceOf(InputGuardrailTripwireTriggered);

    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "Agent workflow (CHAIN) ERROR",
      "  Guarded agent (AGENT) ERROR",
      "    turn 1: Guarded agent (CHAIN) ERROR",
      "    no_homework (CHAIN) OK",
    ]);
    const guardrail = named(t!.data.spans, "no_homework")!;
    expect(guardrail.attributes["guardrail.triggered"]).toBe(true);
    expect(guardrail.outputs).toEqual({ triggered: true });
    const agentSpan = named(t!.data.spans, "Guarded agent")!;
    const exception = agentSpan.events.find((e) => e.name === "exception");
    expect(String(exception?.attributes["exception.data"])).toContain("InputGuardrailTripwireTriggered");
  });

  it("nests the run under the user's trace() span", async () => {
    respond("handwritten-responses-weather-answer.json");
    const simple = new Agent({ name: "Plain agent", instructions: "Answer." });
    await trace(async () => run(simple, "Weather in Paris?"), { name: "handle_request" })();
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "handle_request (UNKNOWN) OK",
      "  Agent workflow (CHAIN) OK",
      "    Plain agent (AGENT) OK",
      "      turn 1: Plain agent (CHAIN) OK",
      "        Response (CHAT_MODEL) OK",
    ]);
  });

  it("with @tracewright/openai on, the SDK's HTTP call nests under the Response span, inside a user trace() too", async () => {
    await tracedOpenAI.autolog();
    tracedOpenAI.instrumentOpenAIModule(openaiModule);
    try {
      respond("handwritten-responses-weather-answer.json");
      const simple = new Agent({ name: "Plain agent", instructions: "Answer." });
      await trace(async () => run(simple, "Weather in Paris?"), { name: "handle_request" })();
    } finally {
      await tracedOpenAI.autolog({ disable: true });
    }
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "handle_request (UNKNOWN) OK",
      "  Agent workflow (CHAIN) OK",
      "    Plain agent (AGENT) OK",
      "      turn 1: Plain agent (CHAIN) OK",
      "        Response (CHAT_MODEL) OK",
      "          Responses (CHAT_MODEL) OK",
    ]);
    // both report the call's usage; the trace counts it once
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 164, output_tokens: 17, total_tokens: 181 });
  });

  it("records nothing after autolog({ disable: true })", async () => {
    await agents.autolog({ disable: true });
    try {
      respond("handwritten-responses-weather-answer.json");
      await run(new Agent({ name: "Plain agent", instructions: "Answer." }), "Weather in Paris?");
    } finally {
      await agents.autolog();
    }
    expect(await storedTraces(store())).toHaveLength(0);
  });
});
