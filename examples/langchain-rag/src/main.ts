// Runs the RAG chain with LangChain autolog. Without OPENAI_API_KEY it replays recorded traffic.
import { ChatOpenAI } from "@langchain/openai";
import { flushTraces, setExperiment } from "@tracewright/core";
import { autolog } from "@tracewright/langchain";
import { buildRagChain } from "./rag.ts";

await setExperiment("langchain-rag");
await autolog();
if (!process.env.OPENAI_API_KEY) {
  const { replayNockRecording } = await import("@tracewright/testing");
  replayNockRecording("chat-completion-basic.json");
  console.log("(no OPENAI_API_KEY: replaying recorded OpenAI traffic)");
}
const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: process.env.OPENAI_API_KEY ?? "sk-replay" });
const answer = await buildRagChain(model).invoke("Which ocean contains Bouvet Island?");
console.log(`answer: ${answer}\n`);
await flushTraces();
