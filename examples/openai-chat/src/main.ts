// Runs the weather agent. With OPENAI_API_KEY set it calls the real API; without one it replays
// recorded OpenAI traffic, so the example runs anywhere with no key and no network.
import { flushTraces, setExperiment } from "@tracewright/core";
import { autolog } from "@tracewright/openai";
import OpenAI from "openai";
import { WeatherAgent } from "./agent.ts";

await autolog();
await setExperiment("openai-chat");

if (!process.env.OPENAI_API_KEY) {
  const { replayNockRecording } = await import("@tracewright/testing");
  replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
  console.log("(no OPENAI_API_KEY: replaying recorded OpenAI traffic)");
}

const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? "sk-replay" });
const answer = await new WeatherAgent(client).ask("What is the weather in New York City and London?");
console.log(`answer: ${answer}\n`);
await flushTraces();
