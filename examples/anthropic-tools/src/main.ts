// Runs the weather agent. With ANTHROPIC_API_KEY set it calls the real API; without one it
// replays recorded Anthropic traffic, so the example runs anywhere with no key and no network.
import Anthropic from "@anthropic-ai/sdk";
import { autolog } from "@tracewright/anthropic";
import { flushTraces, setExperiment } from "@tracewright/core";
import { WeatherAgent } from "./agent.ts";

await autolog();
await setExperiment("anthropic-tools");

if (!process.env.ANTHROPIC_API_KEY) {
  const { replayWeatherLoop } = await import("./replay.ts");
  replayWeatherLoop();
  console.log("(no ANTHROPIC_API_KEY: replaying recorded Anthropic traffic)");
}

const client = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY ?? "sk-ant-replay" });
const answer = await new WeatherAgent(client).ask("What's the weather like in San Francisco?");
console.log(`answer: ${answer}\n`);
await flushTraces();
