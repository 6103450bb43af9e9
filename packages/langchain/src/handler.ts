import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import {
  getCurrentActiveSpan,
  type LiveSpan,
  SpanAttributeKey,
  SpanEvent,
  SpanType,
  setSpanChatMessages,
} from "@tracewright/core";
import {
  type FixedSettingsTracing,
  type InstrumentHooks,
  parseJsonString,
  runSafely,
  withFixedSettings,
} from "@tracewright/core/instrumentation";
import {
  boundTools,
  invocationAttributes,
  resultMessage,
  resultOutputs,
  toChatMessage,
  toDocuments,
  toolOutput,
  toTokenUsage,
} from "./convert.js";
import { hookForHandlersMadeByHand } from "./modules.js";
import { runCallStartingRun } from "./run-context.js";
import { noteStreamRun } from "./stream-abandonment.js";
import { type LangChainSettings, langchainSettings, type TracewrightCallbackHandlerOptions } from "./types.js";

/**
 * Where a handler's settings and spans come from: the integration (autolog's handler) or the
 * options given to it (`withFixedSettings`). Both give spans the redactor in force.
 */
export type HandlerTracing = Pick<FixedSettingsTracing<LangChainSettings>, "active" | "instrumentCall">;

/** A run's span stays open until LangChain reports the run's end. */
const KEEP_OPEN: InstrumentHooks<LiveSpan | null> = { onResult: () => "keep-open" };

interface RunState {
  span: LiveSpan;
  parentRunId: string | undefined;
  kind: "chain" | "llm" | "tool" | "retriever";
  messages?: ReturnType<typeof toChatMessage>[];
}

type Serialized = { id?: string[]; name?: string } | undefined;

function runName(serialized: Serialized, runNameArg: string | undefined, fallback: string): string {
  return runNameArg ?? serialized?.name ?? serialized?.id?.at(-1) ?? fallback;
}

/**
 * A LangChain callback handler that records every run as a typed span: chains and runnables
 * (CHAIN; agent executors AGENT; output parsers PARSER), chat models (CHAT_MODEL with messages,
 * bound tools and token usage), completion LLMs (LLM), tools (TOOL) and retrievers (RETRIEVER
 * with documents). Parent/child follows LangChain's run tree; a top-level invocation nests under
 * the active Tracewright span, so LangChain inside `trace()` / `withSpan()` joins that trace.
 *
 * A handler made by hand records with the options given to it (`redact`, `recordContent`,
 * `logTraces`, `recordTokenEvents`, `suppressNestedSdkSpans`), whether `autolog()` is on or not;
 * the process-wide `setRedactor` applies to its spans as to every span. The handler `autolog()`
 * adds follows autolog's latest options instead. An invocation that already has a handler of
 * this class (passed in `callbacks`) does not get autolog's as well.
 *
 * @example
 * ```ts
 * const handler = new TracewrightCallbackHandler({ redact: scrub });
 * await chain.invoke({ question }, { callbacks: [handler] });
 * ```
 */
export class TracewrightCallbackHandler extends BaseCallbackHandler {
  name = "tracewright_handler";
  private readonly runs = new Map<string, RunState>();
  private readonly tracing: HandlerTracing;

  /** @param tracing @internal autolog's handler passes the integration: its settings change with each `autolog()`. */
  constructor(options: TracewrightCallbackHandlerOptions = {}, tracing?: HandlerTracing) {
    super();
    // Run inline, so spans start and end when the runs do (not later, from a background queue).
    this.awaitHandlers = true;
    if (tracing) this.tracing = tracing;
    else {
      this.tracing = withFixedSettings(options, langchainSettings(options));
      hookForHandlersMadeByHand();
    }
  }

  /** Text-carrying events (tokens, agent logs) are recorded only when no redactor applies: redactors never see events. */
  private recordsRawText(): boolean {
    const s = this.tracing.active();
    return s !== null && s.redactor === undefined;
  }

  /** @internal The span of a run in flight (for nesting calls made inside it). */
  spanOfRun(runId: string | undefined): LiveSpan | null {
    return runId ? (this.runs.get(runId)?.span ?? null) : null;
  }

  /** @internal How many runs this handler has started and not ended yet. */
  get openRunCount(): number {
    return this.runs.size;
  }

  /**
   * @internal Ends a run LangChain will never end (its stream was stopped or dropped by the
   * consumer), with its open descendants, innermost first, each with a `stream_abandoned` event.
   */
  abandonRun(runId: string, reason: string): void {
    if (!this.runs.has(runId)) return;
    const depthUnder = (id: string): number => {
      let depth = 0;
      for (let cur: string | undefined = id; cur !== undefined && cur !== runId; depth++) {
        cur = this.runs.get(cur)?.parentRunId;
        if (cur === undefined) return -1;
      }
      return depth;
    };
    const doomed = [...this.runs.keys()]
      .map((id) => [id, depthUnder(id)] as const)
      .filter(([, depth]) => depth >= 0)
      .sort((a, b) => b[1] - a[1]);
    for (const [id] of doomed) {
      this.finish(id, (state) =>
        state.span.addEvent(new SpanEvent({ name: "stream_abandoned", attributes: { reason } })),
      );
    }
  }

  private start(
    runId: string,
    parentRunId: string | undefined,
    kind: RunState["kind"],
    options: { name: string; spanType: string; inputs?: unknown; attributes?: Record<string, unknown> },
  ): RunState | undefined {
    const settings = this.tracing.active();
    if (settings === null) return undefined;
    // a top-level run nests under the user's active span, never under another invocation's run
    const active = getCurrentActiveSpan({ contextOnly: true });
    const parent = parentRunId ? (this.runs.get(parentRunId)?.span ?? active) : active;
    // null while tracing is off, or under a span that suppresses this type
    const span = this.tracing.instrumentCall({ ...options, parent }, (opened) => opened, KEEP_OPEN);
    if (span === null) return undefined;
    if (kind === "llm" && settings.extra.suppressNestedSdkSpans) {
      span.suppressChildSpans([SpanType.CHAT_MODEL, SpanType.LLM, SpanType.EMBEDDING]);
    }
    const state: RunState = { span, parentRunId, kind };
    this.runs.set(runId, state);
    // the SDK calls of a model or retriever find this run through the invocation's context; a
    // stream's top run is noted so that it ends when the consumer stops reading
    const call = runCallStartingRun();
    if (
      call &&
      ((kind === "llm" && call.kind !== "retriever") || (kind === "retriever" && call.kind === "retriever"))
    ) {
      call.runs.push({ owner: this, runId });
    }
    noteStreamRun(this, runId);
    return state;
  }

  private finish(runId: string, record: (state: RunState) => void): void {
    const state = this.runs.get(runId);
    if (!state) return;
    this.runs.delete(runId);
    runSafely("recording a LangChain run", () => record(state));
    state.span.end();
  }

  private fail(runId: string, error: unknown): void {
    this.finish(runId, (state) => state.span.recordException(error));
  }

  override handleChainStart(
    chain: Serialized,
    inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    runType?: string,
    runNameArg?: string,
  ): void {
    runSafely("starting a chain span", () => {
      const name = runName(chain, runNameArg, "chain");
      const cls = chain?.id?.at(-1) ?? "";
      const spanType =
        runType === "parser" || /OutputParser$/.test(cls)
          ? SpanType.PARSER
          : /AgentExecutor|Agent$/.test(cls)
            ? SpanType.AGENT
            : SpanType.CHAIN;
      const attributes: Record<string, unknown> = {};
      if (metadata?.langgraph_node !== undefined) attributes["langgraph.node"] = metadata.langgraph_node;
      if (metadata?.langgraph_step !== undefined) attributes["langgraph.step"] = metadata.langgraph_step;
      this.start(runId, parentRunId, "chain", { name, spanType, inputs, attributes });
    });
  }

  override handleChainEnd(outputs: unknown, runId: string): void {
    this.finish(runId, (s) => s.span.setOutputs(outputs));
  }

  override handleChainError(error: unknown, runId: string): void {
    this.fail(runId, error);
  }

  override handleChatModelStart(
    llm: Serialized,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runNameArg?: string,
  ): void {
    runSafely("starting a chat model span", () => {
      const chat = (messages[0] ?? []).map(toChatMessage);
      const params = extraParams?.invocation_params;
      const attributes: Record<string, unknown> = {
        ...invocationAttributes(params),
        [SpanAttributeKey.MESSAGE_FORMAT]: "langchain",
      };
      const tools = boundTools(params);
      if (tools.length > 0) attributes[SpanAttributeKey.CHAT_TOOLS] = tools;
      const model = (params as { model?: unknown; model_name?: unknown } | undefined)?.model;
      if (typeof model === "string") attributes[SpanAttributeKey.MODEL] = model;
      const state = this.start(runId, parentRunId, "llm", {
        name: runName(llm, runNameArg, "ChatModel"),
        spanType: SpanType.CHAT_MODEL,
        inputs: messages.length === 1 ? chat : messages.map((group) => group.map(toChatMessage)),
        attributes,
      });
      if (state) {
        state.messages = chat;
        setSpanChatMessages(state.span, chat);
      }
    });
  }

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runNameArg?: string,
  ): void {
    runSafely("starting an LLM span", () => {
      this.start(runId, parentRunId, "llm", {
        name: runName(llm, runNameArg, "LLM"),
        spanType: SpanType.LLM,
        inputs: { prompts },
        attributes: invocationAttributes(extraParams?.invocation_params),
      });
    });
  }

  override handleLLMNewToken(token: string, _idx: unknown, runId: string): void {
    const state = this.runs.get(runId);
    if (state && this.tracing.active()?.extra.recordTokenEvents && this.recordsRawText())
      runSafely("recording a token", () =>
        state.span.addEvent(new SpanEvent({ name: "new_token", attributes: { token } })),
      );
  }

  override handleLLMEnd(output: unknown, runId: string): void {
    this.finish(runId, (state) => {
      state.span.setOutputs(resultOutputs(output));
      const usage = toTokenUsage(output);
      if (usage) state.span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
      const reply = resultMessage(output);
      if (state.messages && reply) setSpanChatMessages(state.span, [...state.messages, reply]);
    });
  }

  override handleLLMError(error: unknown, runId: string): void {
    this.fail(runId, error);
  }

  override handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runNameArg?: string,
    toolCallId?: string,
  ): void {
    runSafely("starting a tool span", () => {
      this.start(runId, parentRunId, "tool", {
        name: runName(tool, runNameArg, "tool"),
        spanType: SpanType.TOOL,
        inputs: parseJsonString(input),
        ...(toolCallId ? { attributes: { "tool.call_id": toolCallId } } : {}),
      });
    });
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.finish(runId, (s) => s.span.setOutputs(toolOutput(output)));
  }

  override handleToolError(error: unknown, runId: string): void {
    this.fail(runId, error);
  }

  override handleRetrieverStart(
    retriever: Serialized,
    query: string,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runNameArg?: string,
  ): void {
    runSafely("starting a retriever span", () => {
      this.start(runId, parentRunId, "retriever", {
        name: runName(retriever, runNameArg, "retriever"),
        spanType: SpanType.RETRIEVER,
        inputs: { query },
      });
    });
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.finish(runId, (s) => s.span.setOutputs(toDocuments(documents)));
  }

  override handleRetrieverError(error: unknown, runId: string): void {
    this.fail(runId, error);
  }

  override handleAgentAction(action: unknown, runId: string): void {
    const state = this.runs.get(runId);
    if (!state) return;
    runSafely("recording an agent action", () => {
      const a = action as { tool?: string; toolInput?: unknown; log?: string };
      const text = this.recordsRawText() ? { tool_input: a.toolInput, log: a.log ?? "" } : {};
      state.span.addEvent(new SpanEvent({ name: "agent_action", attributes: { tool: a.tool ?? "", ...text } }));
    });
  }

  override handleAgentEnd(action: unknown, runId: string): void {
    const state = this.runs.get(runId);
    if (!state) return;
    runSafely("recording an agent finish", () => {
      const a = action as { returnValues?: unknown; log?: string };
      const text = this.recordsRawText() ? { return_values: a.returnValues, log: a.log ?? "" } : {};
      state.span.addEvent(new SpanEvent({ name: "agent_finish", attributes: text }));
    });
  }
}
