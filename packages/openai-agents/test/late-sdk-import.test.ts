/**
 * `agents.autolog()` called before the app loads `@openai/agents` (an instrumentation file
 * loaded first, say): loading it installs the SDK's default exporter with `setTraceProcessors`,
 * which replaces the processor list. Runs must still be recorded, once each.
 */
import { setTracingDisabled } from "@openai/agents-core";
import { readRecordingText, replayBody, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import * as agents from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

describe("autolog() before @openai/agents is loaded", () => {
  const store = useRecordedHttpStore();

  it("still records each run once after the SDK installs its default processors", async () => {
    agents.autolog();
    const sdk = await import("@openai/agents"); // its module sets the default exporter processor
    setTracingDisabled(false); // the SDK turns tracing off under NODE_ENV=test
    sdk.setDefaultOpenAIClient(new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 }));
    replayBody({ path: "/v1/responses", body: readRecordingText("handwritten-responses-weather-answer.json") });
    await sdk.run(new sdk.Agent({ name: "Plain agent", instructions: "Answer." }), "Weather in Paris?");

    const traces = await storedTraces(store());
    expect(traces.map(spanTree)).toEqual([
      [
        "Agent workflow (CHAIN) OK",
        "  Plain agent (AGENT) OK",
        "    turn 1: Plain agent (CHAIN) OK",
        "      Response (CHAT_MODEL) OK",
      ],
    ]);
  });

  it("records a run once when the app also registers a processor of ours by hand", async () => {
    const sdk = await import("@openai/agents");
    agents.autolog();
    sdk.setTraceProcessors([new agents.TracewrightAgentsProcessor()]); // the README's Tracewright-only setup
    replayBody({ path: "/v1/responses", body: readRecordingText("handwritten-responses-weather-answer.json") });
    await sdk.run(new sdk.Agent({ name: "Plain agent", instructions: "Answer." }), "Weather in Paris?");
    expect(await storedTraces(store())).toHaveLength(1);
  });
});
