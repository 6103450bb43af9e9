// Cost of the Tracewright OpenAI Agents SDK processor per converted span: a run shaped like an
// agent turn (agent, response with a real-sized Responses API payload, two function tools, a
// handoff) built from the SDK's own span helpers, with tracing on and no processor vs with ours.
// Run: pnpm bench:agents
import {
  setTraceProcessors,
  setTracingDisabled,
  withAgentSpan,
  withFunctionSpan,
  withHandoffSpan,
  withResponseSpan,
  withTrace,
} from "@openai/agents-core";
import * as tw from "@tracewright/core";
import { TracewrightAgentsProcessor } from "@tracewright/openai-agents";

const RUNS = Number(process.env.BENCH_RUNS ?? 3000);
const ROUNDS = 7;
const SPANS_PER_RUN = 6; // agent, response, 2 functions, handoff, plus the root from the trace

class DiscardStore extends tw.InMemoryTraceStore {
  logTraces() {}
}
tw.setTraceStore(new DiscardStore());
setTracingDisabled(false);

const input = [{ type: "message", role: "user", content: "What's the weather and time in Paris?" }];
const response = {
  id: "resp_bench",
  model: "gpt-4o-mini-2024-07-18",
  output: [
    { type: "function_call", call_id: "c1", name: "get_weather", arguments: '{"city":"Paris"}' },
    { type: "function_call", call_id: "c2", name: "get_time", arguments: '{"city":"Paris"}' },
  ],
  tools: [{ type: "function", name: "get_weather", description: "Weather in a city", parameters: { type: "object" } }],
  usage: { input_tokens: 96, output_tokens: 41, total_tokens: 137 },
};

async function oneRun() {
  await withTrace("Agent workflow", async () => {
    await withAgentSpan(
      async () => {
        await withResponseSpan(async (span) => {
          span.spanData.response_id = response.id;
          span.spanData._input = input;
          span.spanData._response = response;
        });
        for (const name of ["get_weather", "get_time"]) {
          await withFunctionSpan(
            async (span) => {
              span.spanData.output = "18°C";
            },
            { data: { name, input: '{"city":"Paris"}' } },
          );
        }
        await withHandoffSpan(async () => {}, { data: { from_agent: "triage", to_agent: "weather" } });
      },
      { data: { name: "Weather agent", tools: ["get_weather", "get_time"] } },
    );
  });
}

async function block(withProcessor) {
  setTraceProcessors(withProcessor ? [new TracewrightAgentsProcessor()] : []);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RUNS; i++) await oneRun();
  await tw.flushTraces();
  return Number(process.hrtime.bigint() - t0) / 1e3 / RUNS;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await block(false);
await block(true);
const plain = [];
const traced = [];
for (let r = 0; r < ROUNDS; r++) {
  plain.push(await block(false));
  traced.push(await block(true));
}
const added = median(traced) - median(plain);
console.log(
  `\n@tracewright/openai-agents processor overhead (${RUNS} runs x ${ROUNDS} rounds, median; node ${process.version})`,
);
console.table([
  {
    run: `${SPANS_PER_RUN} converted spans per run`,
    "SDK tracing, no processor µs/run": median(plain).toFixed(1),
    "with processor µs/run": median(traced).toFixed(1),
    "added µs/run": added.toFixed(1),
    "added µs/span": (added / SPANS_PER_RUN).toFixed(1),
  },
]);
console.log("target: < 20 µs per converted span");
