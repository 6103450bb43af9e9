// Overhead of the Tracewright LangChain handler per run: a chain of 5 runnables ending in a fake
// chat model (no HTTP), invoked with and without the handler, interleaved.
// Run: pnpm bench:langchain
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import * as tw from "@tracewright/core";
import { TracewrightCallbackHandler } from "@tracewright/langchain";
import { compareInterleaved } from "./lib.mjs";

const INVOCATIONS = Number(process.env.BENCH_INVOCATIONS ?? 2000);
const ROUNDS = 7;

class DiscardStore extends tw.InMemoryTraceStore {
  logTraces() {}
}
tw.setTraceStore(new DiscardStore());

const chain = RunnableLambda.from((x) => ({ question: String(x.question).trim() }))
  .pipe(ChatPromptTemplate.fromMessages([["human", "{question}"]]))
  .pipe(new FakeListChatModel({ responses: ["Atlantic Ocean."] }))
  .pipe(new StringOutputParser())
  .pipe(RunnableLambda.from((s) => s.toUpperCase()));

const handler = new TracewrightCallbackHandler();

/** Counts the runs one invocation makes (the sequence plus its steps). */
async function runsPerInvocation() {
  const store = new tw.InMemoryTraceStore();
  tw.setTraceStore(store);
  await chain.invoke({ question: " q " }, { callbacks: [handler] });
  await tw.flushTraces();
  const n = store.allTraces()[0].data.spans.length;
  tw.setTraceStore(new DiscardStore());
  return n;
}

async function block(withHandler) {
  const config = withHandler ? { callbacks: [handler] } : {};
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < INVOCATIONS; i++) await chain.invoke({ question: " Which ocean? " }, config);
  await tw.flushTraces();
  return Number(process.hrtime.bigint() - t0) / 1e3 / INVOCATIONS;
}

const runs = await runsPerInvocation();
const { plain, traced, added } = await compareInterleaved(block, ROUNDS);
console.log(
  `\n@tracewright/langchain handler overhead (${INVOCATIONS} invocations x ${ROUNDS} rounds, median; node ${process.version})`,
);
console.table([
  {
    chain: `5 runnables + fake chat model (${runs} runs per invocation)`,
    "plain µs/invocation": plain.toFixed(1),
    "with handler µs/invocation": traced.toFixed(1),
    "added µs/invocation": added.toFixed(1),
    "added µs/run": (added / runs).toFixed(1),
  },
]);
console.log("target: < 20 µs added per run");
