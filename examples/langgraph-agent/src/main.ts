// Runs the LangGraph agent with LangChain autolog. Without OPENAI_API_KEY it replays recorded traffic.
import { ChatOpenAI } from "@langchain/openai";
import { flushTraces, setExperiment } from "@tracewright/core";
import { autolog } from "@tracewright/langchain";
import { buildWeatherAgent } from "./agent.ts";

await setExperiment("langgraph-agent");
await autolog();
if (!process.env.OPENAI_API_KEY) {
  const { replayNockRecording } = await import("@tracewright/testing");
  replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
  console.log("(no OPENAI_API_KEY: replaying recorded OpenAI traffic)");
}
const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: process.env.OPENAI_API_KEY ?? "sk-replay" });
const result = await buildWeatherAgent(model).invoke({
  messages: [{ role: "user", content: "What is the weather in New York City and London?" }],
});
console.log(`answer: ${String(result.messages.at(-1)?.content)}\n`);
await flushTraces();
