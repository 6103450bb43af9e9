// Runs the LlamaIndex query engine with autolog. Without OPENAI_API_KEY it replays recorded traffic.
import { flushTraces, setExperiment } from "@tracewright/core";
import { autolog } from "@tracewright/llamaindex";
import { ask, useOpenAI } from "./rag.ts";

await setExperiment("llamaindex-rag");
await autolog();
if (!process.env.OPENAI_API_KEY) {
  const { nock, replayHar } = await import("@tracewright/testing");
  nock.disableNetConnect();
  replayHar("llamaindex-rag-query.har");
  console.log("(no OPENAI_API_KEY: replaying recorded OpenAI traffic)");
}
useOpenAI(process.env.OPENAI_API_KEY ?? "replay-key");
const answer = await ask("Where was albert einstein born?");
console.log(`answer: ${answer}\n`);
await flushTraces();
