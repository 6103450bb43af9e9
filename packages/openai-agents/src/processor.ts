import {
  type Span as AgentsSpan,
  type Trace as AgentsTrace,
  addTraceProcessor,
  getCurrentSpan,
  type TracingProcessor,
} from "@openai/agents-core";
import {
  type LiveSpan,
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
  isRecord as isObj,
  parseJsonString,
  registerActiveSpanResolver,
  runSafely,
  type SpanOptions,
} from "@tracewright/core/instrumentation";
import {
  chatCompletionUsage,
  generationOutputMessages,
  handoffName,
  responseItemsToMessages,
  responseText,
  responseTools,
  spanNameOf,
  spanTypeOf,
  toTokenUsage,
} from "./convert.js";

type Obj = Record<string, unknown>;

/** An Agents SDK span we record, while it is open. */
interface OpenSpan {
  live: LiveSpan;
  /** The SDK's span object: the one the SDK ends, once its start event reaches us. */
  source: AgentsSpan<never>;
  /** Whether `live` is the run's root (the SDK's task span, which the root stands for). */
  isRoot: boolean;
}

/** What one Agents SDK trace has become so far. */
interface RunState {
  root: LiveSpan;
  input?: unknown;
  output?: unknown;
  /** Ids of this run's spans still open, in the order we started them. */
  open: Set<string>;
  /** Ids of this run's spans already ended: a late start event must not reopen them. */
  finished: Set<string>;
}

/**
 * The processor recording each run, across every instance of ours the SDK calls: one owner per
 * run, however many of ours are registered (autolog's and one registered by hand, say).
 */
const runOwners = new Map<string, TracewrightAgentsProcessor>();

/** Whether processors of ours start recording a run, and how they open spans. */
export interface AgentsTracing {
  /** True when a new run is to be recorded. */
  records(): boolean;
  /** Opens a span (the integration's `startSpan`, carrying its redactor, while autolog is on). */
  startSpan(options: SpanOptions): LiveSpan;
}

/** Until autolog.ts says otherwise (it does as the package loads): core's defaults. */
let tracing: AgentsTracing = { records: tracingIsEnabled, startSpan };

/** @internal Sets how every processor of ours records (autolog.ts, through the integration kit). */
export function useAgentsTracing(value: AgentsTracing): void {
  tracing = value;
}

/** Options of {@link TracewrightAgentsProcessor}. */
export interface AgentsProcessorOptions {
  /**
   * Register again with the SDK when its processor list is replaced (`setTraceProcessors`, which
   * loading `@openai/agents` calls to install its default exporter). `autolog()` sets it.
   */
  stayRegistered?: boolean;
}

/** How far up the SDK's chain of previous spans we look for a span's parent. */
const MAX_ANCESTOR_STEPS = 256;

/**
 * An Agents SDK trace processor that records each run as one Tracewright trace: the workflow
 * as a CHAIN root, agents as AGENT, function tools as TOOL, model responses and generations as
 * CHAT_MODEL (messages, tools, token usage), handoffs and guardrails as CHAIN spans that name
 * their agents and tripwire result. Register it with the SDK's `addTraceProcessor`, or let
 * {@link autolog} do it.
 *
 * The SDK hands span events to its processors one after the other and awaits each, so ours may
 * hear of a span after other processors took their time, even after code inside that span ran.
 * A span is therefore recorded when we first meet it: its start event, its end event, or
 * {@link spanFor} asked from inside it (the SDK's async context names it).
 *
 * From its first run on, the processor tells core which span is current where the SDK's
 * context names one of its spans (a resolver), so calls traced by other integrations inside a
 * model response (`@tracewright/openai`'s) nest under its `Response` span; `shutdown()` (the SDK
 * calls it when its processors are replaced) withdraws that.
 */
export class TracewrightAgentsProcessor implements TracingProcessor {
  private readonly runs = new Map<string, RunState>();
  private readonly spans = new Map<string, OpenSpan>();
  /** While false the processor starts recording no new run. */
  enabled = true;
  private removeResolver: (() => void) | null = null;
  private readonly stayRegistered: boolean;
  /** Whether the SDK's processor list holds this processor (as far as we know: it has no API to tell). */
  private registered = false;
  private rejoinedRecently = false;

  constructor(options: AgentsProcessorOptions = {}) {
    this.stayRegistered = options.stayRegistered === true;
  }

  /** The Tracewright span recording an Agents SDK span, while it is open and once we have met it. */
  liveSpanFor(agentsSpanId: string): LiveSpan | undefined {
    return this.spans.get(agentsSpanId)?.live;
  }

  /**
   * The Tracewright span recording `span` (an SDK span taken from the SDK's current context),
   * started now, with its open ancestors, if our processor has not heard of it yet. Undefined
   * for a span of a run we do not record, or one already ended.
   */
  spanFor(span: AgentsSpan<never>): LiveSpan | undefined {
    let live: LiveSpan | undefined;
    runSafely("recording an agent span", () => {
      live = this.meet(span);
    });
    return live;
  }

  async onTraceStart(trace: AgentsTrace): Promise<void> {
    if (!this.enabled || !tracing.records()) return;
    if (runOwners.has(trace.traceId)) return; // recorded by another processor of ours, or registered twice
    runSafely("starting an agent run's trace", () => {
      const attributes: Obj = { "openai_agents.trace_id": trace.traceId };
      if (trace.groupId) attributes["openai_agents.group_id"] = trace.groupId;
      if (trace.metadata && Object.keys(trace.metadata).length > 0)
        attributes["openai_agents.metadata"] = trace.metadata;
      // parent: the span active where the run started (a user's trace(), say)
      const root = tracing.startSpan({ name: trace.name || "Agent workflow", spanType: "CHAIN", attributes });
      this.runs.set(trace.traceId, { root, open: new Set(), finished: new Set() });
      runOwners.set(trace.traceId, this);
      this.removeResolver ??= registerActiveSpanResolver(() => this.currentSpan());
    });
  }

  async onTraceEnd(trace: AgentsTrace): Promise<void> {
    this.endRun(trace.traceId);
  }

  async onSpanStart(span: AgentsSpan<never>): Promise<void> {
    runSafely("starting an agent span", () => {
      this.meet(span);
      // from now on we hold the object the SDK ends (a context lookup may have handed us a copy)
      const open = this.spans.get(span.spanId);
      if (open) open.source = span;
    });
  }

  async onSpanEnd(span: AgentsSpan<never>): Promise<void> {
    let open: OpenSpan | undefined;
    runSafely("recording an agent span", () => {
      this.meet(span); // the end event may overtake the start event through slower processors
      open = this.spans.get(span.spanId);
      if (open) open.source = span;
    });
    if (open) this.finish(span.traceId, span.spanId, open);
  }

  async shutdown(timeout?: number): Promise<void> {
    this.withdrawResolver();
    this.registered = false;
    // With a timeout it is the SDK's provider shutting down (at exit): there is no list to rejoin.
    if (this.stayRegistered && this.enabled && timeout === undefined) this.rejoin();
  }

  /**
   * `setTraceProcessors` shuts the old processors down, then installs the new list: join it. Shut
   * down again right after rejoining, we may be in a loop over the very list we joined (the
   * provider's `shutdown()` awaits each processor in turn): then join after the current task, so
   * the loop ends. Registered twice is harmless (every event is handled once).
   */
  private rejoin(): void {
    const join = () => {
      this.register();
      this.rejoinedRecently = true;
      setImmediate(() => {
        this.rejoinedRecently = false;
      });
    };
    if (this.rejoinedRecently) setImmediate(join);
    else queueMicrotask(join);
  }

  /**
   * Records new runs again, and joins the SDK's processor list unless it is there already
   * (`autolog()`). Synchronous: a run started right after is recorded.
   */
  register(): void {
    this.enabled = true;
    if (this.registered) return;
    runSafely("registering with the Agents SDK", () => {
      addTraceProcessor(this);
      this.registered = true;
    });
  }

  /**
   * Records no new run and stops rejoining the SDK's list (`autolog({ disable: true })`): the SDK
   * has no API to remove a processor, so it stays in the list, inert, until the list is next
   * replaced. Runs in progress are finished (and nest as before); once they are, no resolver is
   * left with core.
   */
  deactivate(): void {
    this.enabled = false;
    if (this.runs.size === 0) this.withdrawResolver();
  }

  private withdrawResolver(): void {
    this.removeResolver?.();
    this.removeResolver = null;
  }

  async forceFlush(): Promise<void> {}

  /** Our span for the SDK span current in the SDK's async context, if it belongs to one of our runs. */
  private currentSpan(): LiveSpan | null {
    const span = getCurrentSpan();
    return span ? (this.spanFor(span as AgentsSpan<never>) ?? null) : null;
  }

  /** The live span of `span`, started (with its unmet ancestors) if this is our first meeting. */
  private meet(span: AgentsSpan<never>, steps = 0): LiveSpan | undefined {
    const known = this.spans.get(span.spanId);
    if (known) return known.live;
    const run = this.runs.get(span.traceId);
    if (!run || run.finished.has(span.spanId)) return undefined; // not ours, or already over
    const data = span.spanData as Obj;
    let live: LiveSpan;
    if (data.type === "task") {
      // the SDK's task span repeats the trace ("Agent workflow"): the root stands for both
      live = run.root;
    } else {
      const parent = (span.parentId ? this.parentOf(span, steps) : undefined) ?? run.root;
      live = tracing.startSpan({ name: spanNameOf(data), spanType: spanTypeOf(data), parent });
    }
    this.spans.set(span.spanId, { live, source: span, isRoot: live === run.root });
    run.open.add(span.spanId);
    return live;
  }

  /** The live span of `span`'s parent, met through the SDK's chain of previous spans if need be. */
  private parentOf(span: AgentsSpan<never>, steps: number): LiveSpan | undefined {
    const parentId = span.parentId as string;
    const known = this.spans.get(parentId);
    if (known) return known.live;
    let ancestor = span.previousSpan;
    for (let i = steps; ancestor && i < MAX_ANCESTOR_STEPS; i++) {
      if (ancestor.spanId === parentId) return this.meet(ancestor as AgentsSpan<never>, i + 1);
      ancestor = ancestor.previousSpan;
    }
    return undefined;
  }

  /** Records what an SDK span holds once it ended, and ends its live span. */
  private finish(traceId: string, spanId: string, open: OpenSpan): void {
    const run = this.runs.get(traceId);
    this.spans.delete(spanId);
    run?.open.delete(spanId);
    run?.finished.add(spanId);
    const span = open.source;
    if (open.isRoot) {
      // A run's task span ends; the trace may hold more runs (the app's own withTrace), so the
      // trace's end closes the root. But the SDK skips onTraceEnd when a run throws: then the
      // failed task span closes it.
      runSafely("recording an agent run's end", () => {
        const usage = toTokenUsage((span.spanData as Obj).usage);
        if (usage) open.live.setAttribute("agents.usage", usage);
        if (span.error) markError(open.live, span.error.message, span.error.data);
      });
      if (span.error) this.endRun(traceId);
      return;
    }
    runSafely("recording an agent span", () => {
      record(open.live, span.spanData as Obj, run);
      const error = span.error;
      if (error) markError(open.live, error.message, error.data);
    });
    runSafely("ending an agent span", () => open.live.end());
  }

  private endRun(traceId: string): void {
    const run = this.runs.get(traceId);
    if (!run) return;
    runOwners.delete(traceId);
    // Spans still open here have ended in the SDK while their end events are still on their way
    // through slower processors (or never will end): finish them now, innermost first, so the
    // trace is complete when the root ends and nothing stays behind.
    for (const spanId of [...run.open].reverse()) {
      const open = this.spans.get(spanId);
      if (open?.isRoot) this.spans.delete(spanId);
      else if (open) this.finish(traceId, spanId, open);
    }
    this.runs.delete(traceId);
    if (!this.enabled && this.runs.size === 0) this.withdrawResolver();
    runSafely("ending an agent run's trace", () => {
      if (run.input !== undefined) run.root.setInputs(run.input);
      if (run.output !== undefined) run.root.setOutputs(run.output);
      run.root.end();
    });
  }
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
  const input = Array.isArray(data.input) ? data.input : [];
  const output = generationOutputMessages(data.output) ?? [];
  const messages = [...input, ...output];
  if (messages.every((m) => isObj(m) && typeof m.role === "string")) {
    setSpanChatMessages(span, messages as never);
  }
  // the SDK reports usage on a generation only when the call failed; the completion carries it
  const usage = toTokenUsage(data.usage) ?? chatCompletionUsage(data.output);
  if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  if (run) {
    run.input ??= firstUserText(input) ?? data.input;
    const last = output.at(-1);
    if (typeof last?.content === "string") run.output = last.content;
  }
}
