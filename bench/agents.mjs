// Cost per converted span of the agent-framework integrations:
// - @tracewright/openai-agents: a run shaped like an agent turn (agent, response with a
//   real-sized Responses API payload, two function tools, a handoff) built from the SDK's own span
//   helpers, with tracing on and no processor vs with ours;
// - @tracewright/vercel-ai: the spans the AI SDK's OpenTelemetry integration opens for a two-step
//   generateText with two tool calls (the attributes it set in the recorded test), against the
//   OpenTelemetry API's no-op tracer vs TracewrightTracer.
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
import { context, trace } from "@opentelemetry/api";
import * as tw from "@tracewright/core";
import { TracewrightAgentsProcessor } from "@tracewright/openai-agents";
import { TracewrightTracer } from "@tracewright/vercel-ai";
import { compareInterleaved } from "./lib.mjs";

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

const agents = await compareInterleaved(block, ROUNDS);

// --- @tracewright/vercel-ai -------------------------------------------------------------------

const SYSTEM = JSON.stringify([{ type: "text", content: "You are a helpful assistant providing weather updates." }]);
const USER = { role: "user", parts: [{ type: "text", content: "What is the weather in New York City and London?" }] };
const CALLS = [
  { type: "tool_call", id: "call_1", name: "get_weather", arguments: { location: "New York City" } },
  { type: "tool_call", id: "call_2", name: "get_weather", arguments: { location: "London" } },
];
const RESULTS = [
  { type: "tool_call_response", id: "call_1", response: "25 degrees and sunny" },
  { type: "tool_call_response", id: "call_2", response: "15 degrees and raining" },
];
const ANSWER = {
  type: "text",
  content: "The weather in New York City is 25 degrees and sunny, while in London it is 15 degrees and raining.",
};
const TOOLS = JSON.stringify([
  {
    type: "function",
    name: "get_weather",
    description: "The current weather in a location",
    inputSchema: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
  },
]);
const chatAttributes = (input, output, usage) => ({
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "openai",
  "gen_ai.request.model": "gpt-4o-mini",
  "gen_ai.system_instructions": SYSTEM,
  "gen_ai.input.messages": JSON.stringify(input),
  "gen_ai.tool.definitions": TOOLS,
  "server.address": "api.openai.com",
  "gen_ai.response.finish_reasons": ["stop"],
  "gen_ai.response.id": "chatcmpl-bench",
  "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
  "gen_ai.usage.input_tokens": usage[0],
  "gen_ai.usage.output_tokens": usage[1],
  "gen_ai.output.messages": JSON.stringify([{ role: "assistant", parts: output }]),
});
const VERCEL_SPANS_PER_RUN = 7; // invoke_agent, 2 steps, 2 chats, 2 tool executions
const noopTracer = trace.getTracer("bench"); // no provider registered: the API's no-op tracer
const tracewrightTracer = new TracewrightTracer();

function child(tracer, parent, name, attributes, end) {
  const span = tracer.startSpan(
    name,
    { attributes: { "gen_ai.operation.name": attributes["gen_ai.operation.name"] } },
    parent,
  );
  span.setAttributes(attributes);
  end?.(span);
  return [span, trace.setSpan(parent, span)];
}

function oneGenerateText(tracer) {
  const root = context.active();
  const [agent, agentCtx] = child(tracer, root, "invoke_agent gpt-4o-mini", {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.system_instructions": SYSTEM,
    "gen_ai.input.messages": JSON.stringify([USER]),
  });
  const [step1, step1Ctx] = child(tracer, agentCtx, "step 1", { "gen_ai.operation.name": "agent_step" });
  child(tracer, step1Ctx, "chat gpt-4o-mini", chatAttributes([USER], CALLS, [57, 46]), (s) => s.end());
  for (const call of CALLS) {
    child(
      tracer,
      step1Ctx,
      "execute_tool get_weather",
      {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": call.id,
        "gen_ai.tool.call.arguments": JSON.stringify(call.arguments),
        "gen_ai.tool.call.result": JSON.stringify("25 degrees and sunny"),
      },
      (s) => s.end(),
    );
  }
  step1.end();
  const history = [USER, { role: "assistant", parts: CALLS }, { role: "tool", parts: RESULTS }];
  const [step2, step2Ctx] = child(tracer, agentCtx, "step 2", { "gen_ai.operation.name": "agent_step" });
  child(tracer, step2Ctx, "chat gpt-4o-mini", chatAttributes(history, [ANSWER], [125, 26]), (s) => s.end());
  step2.end();
  agent.setAttributes({
    "gen_ai.usage.input_tokens": 182,
    "gen_ai.usage.output_tokens": 72,
    "gen_ai.output.messages": JSON.stringify([{ role: "assistant", parts: [ANSWER, ...CALLS, ...RESULTS] }]),
  });
  agent.end();
}

async function vercelBlock(withTracewright) {
  const tracer = withTracewright ? tracewrightTracer : noopTracer;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < RUNS; i++) oneGenerateText(tracer);
  await tw.flushTraces();
  return Number(process.hrtime.bigint() - t0) / 1e3 / RUNS;
}

const vercel = await compareInterleaved(vercelBlock, ROUNDS);

console.log(
  `\nAgent-framework integrations: overhead (${RUNS} runs x ${ROUNDS} rounds, median; node ${process.version})`,
);
console.table([
  {
    integration: "@tracewright/openai-agents (processor)",
    "converted spans per run": SPANS_PER_RUN,
    "baseline µs/run": agents.plain.toFixed(1),
    "traced µs/run": agents.traced.toFixed(1),
    "added µs/run": agents.added.toFixed(1),
    "added µs/span": (agents.added / SPANS_PER_RUN).toFixed(1),
  },
  {
    integration: "@tracewright/vercel-ai (tracer)",
    "converted spans per run": VERCEL_SPANS_PER_RUN,
    "baseline µs/run": vercel.plain.toFixed(1),
    "traced µs/run": vercel.traced.toFixed(1),
    "added µs/run": vercel.added.toFixed(1),
    "added µs/span": (vercel.added / VERCEL_SPANS_PER_RUN).toFixed(1),
  },
]);
console.log("baselines: the Agents SDK's tracing with no processor; the OpenTelemetry API's no-op tracer");
console.log("target: < 20 µs per converted span");
