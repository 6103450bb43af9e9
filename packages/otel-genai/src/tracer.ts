import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Exception,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span as OtelSpan,
  type SpanStatus as OtelSpanStatus,
  trace as otelTrace,
  type SpanContext,
  type SpanOptions,
  type TimeInput,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import {
  LiveSpan,
  SpanAttributeKey,
  setSpanChatMessages,
  setSpanChatTools,
  startSpan,
  tracingIsEnabled,
} from "@tracewright/core";
import {
  GenAiOperation as Op,
  registerActiveSpanResolver,
  runSafely,
  type SpanOptions as TracewrightSpanOptions,
  timeInputToNs,
} from "@tracewright/core/instrumentation";
import { convertGenAiSpan, type GenAiSpanExtension, genAiOperation, spanTypeOfOperation } from "./genai-span.js";

type Attrs = Record<string, unknown>;

/**
 * An OpenTelemetry span handed to a GenAI instrumentation (the AI SDK's, or any other that
 * follows the GenAI conventions). It collects the attributes the instrumentation sets and, when
 * the span ends, records them on the Tracewright span it stands for as a typed span.
 */
export class GenAiSpan implements OtelSpan {
  private readonly attributes: Attrs;
  /** Tools executed and steps taken under this span (for agent spans: AGENT or CHAIN). */
  private toolCalls = 0;
  private steps = 0;

  constructor(
    /** The Tracewright span this span records into. */
    readonly live: LiveSpan,
    private readonly parent: GenAiSpan | undefined,
    attributes: Attributes | undefined,
    private readonly extension?: GenAiSpanExtension,
  ) {
    this.attributes = attributes ? { ...attributes } : {};
  }

  spanContext(): SpanContext {
    return this.live.spanContext();
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.live.ended) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.live.ended) Object.assign(this.attributes, attributes);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.live.addEvent(name, attributesOrTime, time);
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  setStatus(status: OtelSpanStatus): this {
    this.live.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.live.updateName(name);
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.live.recordException(exception, time);
  }

  isRecording(): boolean {
    return !this.live.ended;
  }

  end(endTime?: TimeInput): void {
    if (this.live.ended) return;
    if (endingAbandoned) this.live.addEvent("stream_abandoned", { reason: "result dropped before the stream ended" });
    runSafely("recording a GenAI span", () => this.record());
    this.live.end(endTime);
  }

  private record(): void {
    const operation = genAiOperation(this.attributes);
    if (operation === Op.EXECUTE_TOOL) this.nearestAgent()?.countTool();
    else if (operation === Op.AGENT_STEP) this.nearestAgent()?.countStep();
    const converted = convertGenAiSpan(this.attributes, {
      agentUsedTools: this.toolCalls > 0 || this.steps > 1,
      ...(this.extension ? { extension: this.extension } : {}),
    });
    const span = this.live;
    span.setSpanType(converted.spanType);
    span.setAttributes(converted.attributes);
    if (converted.inputs !== undefined) span.setInputs(converted.inputs);
    if (converted.outputs !== undefined) span.setOutputs(converted.outputs);
    if (converted.messages) {
      setSpanChatMessages(span, converted.messages);
      span.setAttribute(SpanAttributeKey.MESSAGE_FORMAT, "openai");
    }
    if (converted.tools) setSpanChatTools(span, converted.tools);
    if (converted.usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, converted.usage);
  }

  private nearestAgent(): GenAiSpan | undefined {
    for (let span = this.parent; span; span = span.parent) {
      const operation = genAiOperation(span.attributes);
      if (operation === Op.INVOKE_AGENT || operation === Op.CREATE_AGENT) return span;
    }
    return undefined;
  }

  private countTool(): void {
    this.toolCalls++;
  }

  private countStep(): void {
    this.steps++;
  }
}

/** True while the spans of a call whose result was dropped unfinished are being ended (synchronously). */
let endingAbandoned = false;

/**
 * Runs `end`, which ends the open spans of one instrumented call whose result the app dropped
 * before its stream ended (the AI SDK's, say); each span it ends gets a `stream_abandoned` event.
 */
export function endingAbandonedSpans(end: () => void): void {
  const outer = endingAbandoned;
  endingAbandoned = true;
  try {
    end();
  } finally {
    endingAbandoned = outer;
  }
}

let resolverRegistered = false;

/**
 * Code running inside a GenAI span (a tool's `execute`, a provider's HTTP call) sees that span's
 * Tracewright span as the active span, so `trace()` and the other integrations nest under it.
 */
function ensureResolver(): void {
  if (resolverRegistered) return;
  resolverRegistered = true;
  registerActiveSpanResolver(() => {
    const span = otelTrace.getSpan(context.active());
    return span instanceof GenAiSpan ? span.live : null;
  });
}

const NON_RECORDING = otelTrace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Options of {@link TracewrightTracer}. */
export interface TracewrightTracerOptions {
  /**
   * Opens the Tracewright span an OpenTelemetry span records into: an integration's own
   * `startSpan` (from `defineIntegration`, carrying its redactor and its on/off state); core's
   * `startSpan` by default.
   */
  startSpan?: (options: TracewrightSpanOptions) => LiveSpan;
  /** What the instrumentation records beyond the GenAI conventions. */
  extension?: GenAiSpanExtension;
}

/**
 * An OpenTelemetry `Tracer` whose spans are Tracewright spans: pass it to an instrumentation
 * (`new OpenTelemetry({ tracer })` for the AI SDK) and spans carrying `gen_ai.*` attributes
 * become typed MLflow spans (AGENT/CHAIN, CHAT_MODEL with messages, tools and token usage,
 * TOOL, EMBEDDING, RETRIEVER, RERANKER). Spans of other operations are recorded as UNKNOWN
 * with their attributes. While tracing is disabled it hands out non-recording spans.
 */
export class TracewrightTracer implements Tracer {
  private readonly open: (options: TracewrightSpanOptions) => LiveSpan;
  private readonly extension: GenAiSpanExtension | undefined;

  constructor(options: TracewrightTracerOptions = {}) {
    this.open = options.startSpan ?? startSpan;
    this.extension = options.extension;
    ensureResolver();
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): OtelSpan {
    if (!tracingIsEnabled()) return NON_RECORDING;
    let parent: GenAiSpan | undefined;
    let parentLive: LiveSpan | null | undefined; // undefined: the span active where it starts
    if (options.root) parentLive = null;
    else {
      const inContext = otelTrace.getSpan(ctx);
      if (inContext instanceof GenAiSpan) {
        parent = inContext;
        parentLive = inContext.live;
      } else if (inContext instanceof LiveSpan) parentLive = inContext;
    }
    const live = this.open({
      name,
      spanType: spanTypeOfOperation(genAiOperation(options.attributes ?? {})),
      ...(parentLive !== undefined ? { parent: parentLive } : {}),
      ...(options.startTime !== undefined ? { startTimeNs: timeInputToNs(options.startTime) } : {}),
    });
    if (!live.isRecording()) return NON_RECORDING;
    return new GenAiSpan(live, parent, options.attributes, this.extension);
  }

  startActiveSpan<F extends (span: OtelSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    options: SpanOptions,
    ctx: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: OtelSpan) => unknown>(
    name: string,
    ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : {};
    const ctx = rest.length > 2 ? (rest[1] as Context) : context.active();
    const span = this.startSpan(name, options, ctx);
    return context.with(otelTrace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  }
}

/**
 * An OpenTelemetry `TracerProvider` handing out {@link TracewrightTracer}s: give it to GenAI
 * instrumentations that take a provider (`registerInstrumentations({ tracerProvider })`), or make
 * it the global provider, so their spans become typed Tracewright spans.
 */
export class TracewrightTracerProvider implements TracerProvider {
  private tracer: TracewrightTracer | undefined;

  constructor(private readonly options: TracewrightTracerOptions = {}) {}

  getTracer(_name?: string, _version?: string): Tracer {
    this.tracer ??= new TracewrightTracer(this.options);
    return this.tracer;
  }
}
