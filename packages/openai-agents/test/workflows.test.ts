/**
 * A workflow of the app's own (`withTrace`) that makes several agent runs is one trace holding
 * every run, not only the first.
 */
import { Agent, run, setDefaultOpenAIClient, setTraceProcessors, setTracingDisabled, withTrace } from "@openai/agents";
import { readRecordingText, replayBody, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import * as agents from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const respond = (name: string) => replayBody({ path: "/v1/responses", body: readRecordingText(name) });

describe("withTrace workflows", () => {
  const store = useRecordedHttpStore();
  beforeAll(() => {
    setTracingDisabled(false); // the SDK turns tracing off under NODE_ENV=test
    setTraceProcessors([]); // no export to OpenAI's backend from tests
    setDefaultOpenAIClient(new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 }));
    agents.autolog();
  });

  it("records two runs inside one withTrace as one trace with both agents", async () => {
    respond("handwritten-responses-spanish-answer.json");
    respond("handwritten-responses-weather-answer.json");
    const translated = await withTrace("Translate then answer", async () => {
      const first = await run(new Agent({ name: "spanish_agent", instructions: "Spanish only." }), "Hola");
      const second = await run(new Agent({ name: "Plain agent", instructions: "Answer." }), "Weather in Paris?");
      return [first.finalOutput, second.finalOutput];
    });
    expect(translated).toEqual([
      "¡Hola! Estoy muy bien, gracias. ¿Y tú?",
      "In Paris it is 18°C and sunny, and the local time is 14:05.",
    ]);

    const traces = await storedTraces(store());
    expect(traces.map(spanTree)).toEqual([
      [
        "Translate then answer (CHAIN) OK",
        "  spanish_agent (AGENT) OK",
        "    turn 1: spanish_agent (CHAIN) OK",
        "      Response (CHAT_MODEL) OK",
        "  Plain agent (AGENT) OK",
        "    turn 1: Plain agent (CHAIN) OK",
        "      Response (CHAT_MODEL) OK",
      ],
    ]);
    const root = traces[0]!.data.spans.find((s) => s.parentId === null)!;
    expect(root.inputs).toBe("Hola");
    expect(root.outputs).toBe("In Paris it is 18°C and sunny, and the local time is 14:05.");
  });
});
