// Runs the weather chat. With GEMINI_API_KEY set it calls the real Gemini API; without one it
// replays recorded Gemini bodies, so the example runs anywhere with no key and no network.
import { GoogleGenAI } from "@google/genai";
import { flushTraces, setExperiment } from "@tracewright/core";
import { autolog } from "@tracewright/google-genai";
import { WeatherChat } from "./agent.ts";

await autolog(); // before the client is created: @google/genai sets up a client's methods in its constructor
await setExperiment("gemini-chat");

if (!process.env.GEMINI_API_KEY) {
  const { replayWeatherConversation } = await import("./replay.ts");
  replayWeatherConversation();
  console.log("(no GEMINI_API_KEY: replaying recorded Gemini traffic)");
}

const ai = new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY ?? "replay-key" });
const answer = await new WeatherChat(ai).ask("What is the weather in London?");
console.log(`answer: ${answer}\n`);
await flushTraces();
