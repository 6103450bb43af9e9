// Runs the handoff with the Agents SDK processor. Without OPENAI_API_KEY it replays recorded traffic.
import { setDefaultOpenAIClient, setTraceProcessors } from "@openai/agents";
import { flushTraces, setExperiment } from "@tracewright/core";
import { TracewrightAgentsProcessor } from "@tracewright/openai-agents";
import OpenAI from "openai";
import { converse } from "./agents.ts";

await setExperiment("openai-agents-handoff");
setTraceProcessors([new TracewrightAgentsProcessor()]); // Tracewright only, no export to OpenAI
if (!process.env.OPENAI_API_KEY) {
  const { nock, readRecordingText, replayBody } = await import("@tracewright/testing");
  nock.disableNetConnect();
  for (const name of ["handwritten-responses-handoff-call.json", "handwritten-responses-spanish-answer.json"]) {
    replayBody({ path: "/v1/responses", body: readRecordingText(name) });
  }
  console.log("(no OPENAI_API_KEY: replaying hand-written Responses API bodies)");
}
setDefaultOpenAIClient(new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? "replay-key" }));
console.log(`answer: ${await converse("Hola, ¿cómo estás?")}\n`);
await flushTraces();
