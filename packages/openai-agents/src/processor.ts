import type { Span as AgentsSpan, Trace as AgentsTrace, TracingProcessor } from "@openai/agents-core";
import {
  type LiveSpan,
  runSafely,
  SpanAttributeKey,
  SpanEvent,
  SpanStatus,
  SpanStatusCode,
  setSpanChatMessages,
  setSpanChatTools,
  startSpan,
  tracingIsEnabled,
} from "@tracewright/core";
import {
  handoffName,
  parseJsonString,
  responseItemsToMessages,
  responseText,
  responseTools,
  spanNameOf,
  spanTypeOf,
  toTokenUsage,
} from "./convert.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object";

/** What one Agents SDK trace has become so far. */
interface RunState {
  root: LiveSpan;
  input?: unknown;
  output?: unknown;
}

/**
 * An Agents SDK trace processor that records each run as one Tracewright trace: the workflow
 * as a CHAIN root, agents as AGENT, function tools as TOOL, model responses and generations as
 * CHAT_MODEL (messages, tools, token usage), handoffs and guardrails as CHAIN spans that name
 * their agents and tripwire result. Register it with the SDK's `addTraceProcessor`, or let
 * {@link autolog} do it.
 */
export class TracewrightAgentsProcessor implements TracingProcessor {
  private readonly runs = new Map<string, RunState>();
  private readonly spans = new Map<string, LiveSpan>();
  /** While false the processor records nothing (autolog's `disable`). */
  enabled = true;

  /** The Tracewright span recording an Agents SDK span, while it is open. */
  liveSpanFor(agentsSpanId: string): LiveSpan | undefined {
    return this.spans.get(agentsSpanId);
  }

  async onTraceStart(trace: AgentsTrace): Promise<void> {
    if (!this.enabled || !tracingIsEnabled()) return;
    runSafely("starting an agent run's trace", () => {
      const attributes: Obj = { "openai_agents.trace_id": trace.traceId };
      if (trace.groupId) attributes["openai_agents.group_id"] = trace.groupId;
      if (trace.metadata && Object.keys(trace.metadata).length > 0)
        attributes["openai_agents.metadata"] = trace.metadata;
      // parent: the span active where the run started (a user's trace(), say)
      const root = startSpan({ name: trace.name || "Agent workflow", spanType: "CHAIN", attributes });
      this.runs.set(trace.traceId, { root });
    });
  }

  async onTraceEnd(trace: AgentsTrace): Promise<void> {
    this.endRun(trace.traceId);
  }

  private endRun(traceId: string): void {
    const run = this.runs.get(traceId);
    if (!run) return;
    this.runs.delete(traceId);
    runSafely("ending an agent run's trace", () => {
      if (run.input !== undefined) run.root.setInputs(run.input);
      if (run.output !== undefined) run.root.setOutputs(run.output);
      run.root.end();
    });
  }

  async onSpanStart(span: AgentsSpan<never>): Promise<void> {
    const run = this.runs.get(span.traceId);
    if (!run) return; // a run that started before the processor was enabled
    runSafely("starting an agent span", () => {
      const data = span.spanData as Obj;
      if (data.type === "task") {
        // the SDK's task span repeats the trace ("Agent workflow"): the root stands for both
        this.spans.set(span.spanId, run.root);
        return;
      }
      const parent = (span.parentId ? this.spans.get(span.parentId) : undefined) ?? run.root;
      const live = startSpan({ name: spanNameOf(data), spanType: spanTypeOf(data), parent });
      this.spans.set(span.spanId, live);
    });
  }

  async onSpanEnd(span: AgentsSpan<never>): Promise<void> {
    const live = this.spans.get(span.spanId);
    if (!live) return;
    this.spans.delete(span.spanId);
    if (live === this.runs.get(span.traceId)?.root) {
      // the task span closes the run; the SDK skips onTraceEnd when the run throws
      runSafely("recording an agent run's end", () => {
        const usage = toTokenUsage((span.spanData as Obj).usage);
        if (usage) live.setAttribute("agents.usage", usage);
        if (span.error) markError(live, span.error.message, span.error.data);
      });
      this.endRun(span.traceId);
      return;
    }
    runSafely("recording an agent span", () => {
      const data = span.spanData as Obj;
      record(live, data, this.runs.get(span.traceId));
      const error = span.error;
      if (error) markError(live, error.message, error.data);
    });
    runSafely("ending an agent span", () => live.end());
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}

function markError(span: LiveSpan, message: string, data: unknown): void {
  span.setStatus(new SpanStatus(SpanStatusCode.ERROR, message));
  const attributes: Record<string, string> = { "exception.type": "AgentsSpanError", "exception.message": message };
  if (data !== undefined) attributes["exception.data"] = JSON.stringify(data);
  span.addEvent(new SpanEvent({ name: "exception", attributes }));
}

/** Records what an Agents SDK span's data holds once it ends. */
function record(span: LiveSpan, data: Obj, run: RunState | undefined): void {
  switch (data.type) {
    case "agent":
      span.setAttributes({
        handoffs: data.handoffs ?? [],
        tools: data.tools ?? [],
        ...(data.output_type ? { output_type: data.output_type } : {}),
      });
      break;
    case "function":
      span.setInputs(parseJsonString(data.input));
      span.setOutputs(parseJsonString(data.output));
      if (data.mcp_data) span.setAttribute("mcp_data", data.mcp_data);
      break;
    case "response":
      recordResponse(span, data, run);
      break;
    case "generation":
      recordGeneration(span, data, run);
      break;
    case "handoff":
      span.updateName(handoffName(data));
      span.setInputs({ from_agent: data.from_agent });
      span.setOutputs({ to_agent: data.to_agent });
      break;
    case "guardrail":
      span.setAttribute("guardrail.triggered", data.triggered === true);
      span.setOutputs({ triggered: data.triggered === true });
      break;
    case "custom":
      span.setInputs(data.data);
      break;
    case "task":
    case "turn":
      if (toTokenUsage(data.usage)) span.setAttribute("agents.usage", data.usage);
      break;
    default: {
      const { type: _type, ...rest } = data;
      if (Object.keys(rest).length > 0) span.setInputs(rest);
    }
  }
}

/** The text of the first user message of a request: the run's input as the user typed it. */
function firstUserText(input: unknown): string | undefined {
  const first = responseItemsToMessages(input).find((m) => m.role === "user");
  return typeof first?.content === "string" ? first.content : undefined;
}

function recordResponse(span: LiveSpan, data: Obj, run: RunState | undefined): void {
  const response = isObj(data._response) ? data._response : undefined;
  const input = data._input;
  span.setAttribute(SpanAttributeKey.MESSAGE_FORMAT, "openai");
  if (data.response_id) span.setAttribute("response_id", data.response_id);
  if (input !== undefined) span.setInputs({ input });
  if (!response) return;
  span.setOutputs(response);
  if (typeof response.model === "string") span.setAttribute(SpanAttributeKey.MODEL, response.model);
  const tools = responseTools(response.tools);
  if (tools.length > 0) setSpanChatTools(span, tools);
  const instructions =
    typeof response.instructions === "string" ? [{ role: "system", content: response.instructions }] : [];
  setSpanChatMessages(span, [
    ...instructions,
    ...responseItemsToMessages(input),
    ...responseItemsToMessages(response.output),
  ]);
  const usage = toTokenUsage(response.usage);
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  if (run) {
    run.input ??= firstUserText(input) ?? input;
    const text = responseText(response);
    if (text !== undefined) run.output = text;
  }
}

function recordGeneration(span: LiveSpan, data: Obj, run: RunState | undefined): void {
  span.setAttribute(SpanAttributeKey.MESSAGE_FORMAT, "openai");
  if (typeof data.model === "string") span.setAttribute(SpanAttributeKey.MODEL, data.model);
  if (data.model_config) span.setAttribute("model_config", data.model_config);
  span.setInputs({ messages: data.input });
  span.setOutputs(data.output);
  const messages = [
    ...(Array.isArray(data.input) ? data.input : []),
    ...(Array.isArray(data.output) ? data.output : []),
  ];
  if (messages.every((m) => isObj(m) && typeof m.role === "string")) {
    setSpanChatMessages(span, messages as never);
  }
  const usage = toTokenUsage(data.usage);
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  if (run) {
    run.input ??= data.input;
    const last = Array.isArray(data.output) ? (data.output.at(-1) as Obj | undefined) : undefined;
    if (typeof last?.content === "string") run.output = last.content;
  }
}
