// Runs the weather agent with AI SDK tracing on. Without OPENAI_API_KEY it replays recorded traffic.
import { flushTraces, setExperiment } from "@tracewright/core";
import * as vercelAi from "@tracewright/vercel-ai";
import { askWeather } from "./agent.ts";

await setExperiment("vercel-ai-agent");
await vercelAi.autolog(); // every generateText / streamText / embed call is traced from here on
if (!process.env.OPENAI_API_KEY) {
  const { nock, replayNockRecording } = await import("@tracewright/testing");
  nock.disableNetConnect();
  replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
  console.log("(no OPENAI_API_KEY: replaying a recorded two-turn tool-calling conversation)");
}
const answer = await askWeather(
  "What is the weather in New York City and London?",
  process.env.OPENAI_API_KEY ?? "replay-key",
);
console.log(`answer: ${answer}\n`);
await flushTraces();
