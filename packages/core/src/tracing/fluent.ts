import { SpanAttributeKey, type SpanType } from "../constants.js";
import type { LiveSpan } from "../entities/live-span.js";
import { InvalidArgumentError } from "../errors.js";
import { type FlatArgumentsPlan, flatArgumentsJson, flatArgumentsPlan } from "../internal/json.js";
import { log } from "../internal/log.js";
import { bindArguments, type ParamSpec, parseParams } from "../internal/params.js";
import { activeLiveSpan, contextLiveSpan } from "./context.js";
import { tracedAsyncGenerator, tracedGenerator } from "./generators.js";
import { activeContext, instrumentCall, openSpan, openSpanIn, runInSpan, type SpanOptions } from "./instrument.js";
import { needsRedaction } from "./redaction.js";
import { checkTraceOptions } from "./span-options.js";
import { isTracingEnabled } from "./state.js";
import { lastTraceId, NOOP_SPAN, registry } from "./trace-registry.js";

/** Options of {@link trace}. */
export interface TraceOptions {
  /** Span name; defaults to the function's name. */
  name?: string;
  /** Span type; defaults to `"UNKNOWN"`. */
  spanType?: SpanType;
  /** Extra attributes recorded on every span of this function. */
  attributes?: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: wraps functions of any signature
type AnyFunction = (this: any, ...args: any[]) => any;

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;

/**
 * Traces a function: each call becomes a span named after the function, with the arguments
 * as inputs (by parameter name where the source shows them) and the return value as outputs.
 * Works for sync and async functions, generators and methods (`this` is preserved). A thrown
 * error marks the span ERROR, is recorded as an exception event and is rethrown unchanged.
 *
 * Also usable as a method decorator: `@trace({ spanType: "TOOL" })`.
 *
 * @example
 * ```ts
 * const add = trace((x: number, y: number) => x + y, { name: "add" });
 * add(1, 2); // one trace: span "add", inputs {x: 1, y: 2}, outputs 3
 * ```
 */
export function trace<F extends AnyFunction>(fn: F, options?: TraceOptions): F;
export function trace(options?: TraceOptions): TraceDecorator;
export function trace<F extends AnyFunction>(
  fnOrOptions?: F | TraceOptions,
  options?: TraceOptions,
): F | TraceDecorator {
  if (typeof fnOrOptions === "function") return wrapFunction(fnOrOptions, options ?? {});
  if (fnOrOptions !== undefined && (fnOrOptions === null || typeof fnOrOptions !== "object")) {
    throw new InvalidArgumentError("trace() expects a function to wrap, or an options object for a decorator.");
  }
  const opts = fnOrOptions ?? {};
  // TypeScript 5 decorators call (method, context); legacy experimentalDecorators call
  // (prototype, key, descriptor) and expect the descriptor back.
  return ((target: unknown, contextOrKey?: unknown, descriptor?: PropertyDescriptor) => {
    if (descriptor && typeof descriptor.value === "function") {
      const name = opts.name ?? String(contextOrKey);
      descriptor.value = wrapFunction(descriptor.value as AnyFunction, { ...opts, name });
      return descriptor;
    }
    const contextName = (contextOrKey as { name?: unknown } | undefined)?.name;
    const name = opts.name ?? (typeof contextName === "string" ? contextName : undefined);
    return wrapFunction(target as AnyFunction, name === undefined ? opts : { ...opts, name });
  }) as TraceDecorator;
}

/**
 * `fn.apply(thisArg, args)` for a call's own `arguments`: the same arguments, the same count. A
 * few arguments are passed one by one, which V8 calls directly; `apply` with an arguments object
 * takes a generic path that cost a traced call about 0.1 µs.
 */
function callWith(fn: AnyFunction, thisArg: unknown, args: IArguments): unknown {
  switch (args.length) {
    case 0:
      return fn.call(thisArg);
    case 1:
      return fn.call(thisArg, args[0]);
    case 2:
      return fn.call(thisArg, args[0], args[1]);
    case 3:
      return fn.call(thisArg, args[0], args[1], args[2]);
    default:
      return fn.apply(thisArg, args as unknown as unknown[]);
  }
}

/** What `trace(options)` returns: a wrapper for a function, and a method decorator (TS 5 or legacy). */
export type TraceDecorator = (<G extends AnyFunction>(fn: G, context?: unknown) => G) &
  ((target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => PropertyDescriptor);

function wrapFunction<F extends AnyFunction>(fn: F, options: TraceOptions): F {
  if (typeof fn !== "function") throw new InvalidArgumentError("trace() expects a function to wrap.");
  checkTraceOptions(options);
  const name = options.name ?? (fn.name || "anonymous");
  const spanType = options.spanType ?? "UNKNOWN";
  const functionName = JSON.stringify(fn.name || name);
  let params: ParamSpec[] | null | undefined;
  const spanOptions = (args: IArguments | unknown[]): SpanOptions => {
    if (params === undefined) params = parseParams(fn);
    const o: SpanOptions = { name, spanType, inputs: bindArguments(params, args) };
    if (options.attributes) o.attributes = options.attributes;
    return o;
  };
  const setFunctionName = (span: LiveSpan | null): void => {
    if (span) span._record.attributes[SpanAttributeKey.FUNCTION_NAME] = functionName;
  };
  let wrapped: AnyFunction;
  if (fn instanceof GeneratorFunction) {
    wrapped = function (this: unknown, ...args: unknown[]) {
      if (!isTracingEnabled()) return fn.apply(this, args);
      return tracedGenerator(fn.apply(this, args) as Generator, spanOptions(args), setFunctionName);
    };
  } else if (fn instanceof AsyncGeneratorFunction) {
    wrapped = function (this: unknown, ...args: unknown[]) {
      if (!isTracingEnabled()) return fn.apply(this, args);
      return tracedAsyncGenerator(fn.apply(this, args) as AsyncGenerator, spanOptions(args), setFunctionName);
    };
  } else {
    // Every span of this function starts the same: the shared options below, then its inputs,
    // written once it is open. With extra attributes the span is opened with its inputs (one of
    // the attributes may set the inputs itself, and must win).
    const opening: SpanOptions = { name, spanType };
    let plan: FlatArgumentsPlan | undefined;
    const traced = (thisArg: unknown, args: IArguments): unknown => {
      if (plan === undefined) {
        if (params === undefined) params = parseParams(fn);
        plan = flatArgumentsPlan(params);
      }
      const ctx = activeContext();
      // scalar arguments (the common case) are encoded straight from the arguments, unless a
      // redactor must see them or an extra attribute may set the inputs itself
      const flatJson =
        options.attributes === undefined && !needsRedaction(undefined) ? flatArgumentsJson(plan, args) : undefined;
      const inputs = flatJson === undefined ? bindArguments(params as ParamSpec[] | null, args) : undefined;
      const span =
        options.attributes === undefined
          ? openSpanIn(opening, ctx)
          : openSpanIn({ name, spanType, inputs, attributes: options.attributes }, ctx);
      if (span === null) return callWith(fn, thisArg, args);
      try {
        const record = span._record;
        // the same JSON the span's setter would record; previews read it back (for scalars the
        // JSON says all the value does), so no copy of the value is kept beside it
        if (flatJson !== undefined) record.attributes[SpanAttributeKey.INPUTS] = flatJson;
        else if (options.attributes === undefined) span.setInputs(inputs);
        record.attributes[SpanAttributeKey.FUNCTION_NAME] = functionName;
      } catch (e) {
        log.error("tracing failed while recording a traced call's inputs", e);
      }
      return runInSpan(span, ctx, () => callWith(fn, thisArg, args), RECORD_OUTPUTS);
    };
    wrapped = function (this: unknown) {
      // biome-ignore lint/complexity/noArguments: avoids a rest-array allocation on the hot path
      const args = arguments;
      if (!isTracingEnabled()) return callWith(fn, this, args);
      return traced(this, args);
    };
  }
  Object.defineProperty(wrapped, "name", { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  return wrapped as F;
}

const RECORD_OUTPUTS = {
  onResult: (span: LiveSpan, result: unknown) => {
    if (result !== undefined) span.setOutputs(result);
  },
};

/**
 * Options of {@link withSpan} and {@link startSpan}: the one {@link SpanOptions}, without the
 * redactor (integrations set theirs through the kit).
 */
export type StartSpanOptions = Omit<SpanOptions, "redactor">;

function requireSpanName(options: { name?: unknown } | undefined, api: string): void {
  if (!options || typeof options.name !== "string" || options.name === "") {
    throw new InvalidArgumentError(
      `${api}() needs a non-empty string \`name\`, e.g. ${api}({ name: "retrieve" }, ...).`,
    );
  }
}

/** A span that records nothing, handed to callbacks while tracing is disabled. */
function disabledSpanFor(_options: StartSpanOptions): LiveSpan {
  return NOOP_SPAN;
}

/**
 * Runs `callback` inside a new span (MLflow's `start_span` context handler). Spans opened inside,
 * by `trace`, `withSpan` or integrations, become its children, across `await` and timers.
 * The span ends when the callback returns or its promise settles; a returned value becomes the
 * span's outputs unless the callback set outputs itself; an error is recorded and rethrown.
 *
 * @example
 * ```ts
 * const result = await withSpan({ name: "Math" }, async (span) => {
 *   span.setInputs({ a, x });
 *   return firstFunc(x) + secondFunc(a);
 * });
 * ```
 */
export function withSpan<T>(options: StartSpanOptions | string, callback: (span: LiveSpan) => T): T {
  const opts = typeof options === "string" ? { name: options } : options;
  requireSpanName(opts, "withSpan");
  if (typeof callback !== "function")
    throw new InvalidArgumentError("withSpan(options, callback): callback must be a function.");
  if (!isTracingEnabled()) return callback(disabledSpanFor(opts));
  return instrumentCall(opts, (span) => callback(span ?? disabledSpanFor(opts)), RECORD_OUTPUTS_UNLESS_SET);
}

const RECORD_OUTPUTS_UNLESS_SET = {
  onResult: (span: LiveSpan, result: unknown) => {
    if (result !== undefined && span._record.attributes[SpanAttributeKey.OUTPUTS] === undefined)
      span.setOutputs(result);
  },
};

/**
 * Starts a span you end yourself with `span.end({ outputs })`. It becomes a child of the
 * active span, but is not made active: wrap work in {@link withSpan} or pass it as `parent`.
 */
export function startSpan(options: StartSpanOptions): LiveSpan {
  requireSpanName(options, "startSpan");
  return openSpan(options) ?? disabledSpanFor(options);
}

/**
 * The innermost active span, or null outside any span. With `contextOnly`, only the span active
 * in the async context counts, not one that an integration resolves from its own run tree.
 */
export function getCurrentActiveSpan(options: { contextOnly?: boolean } = {}): LiveSpan | null {
  return options.contextOnly ? contextLiveSpan() : activeLiveSpan();
}

/** The id of the most recently finished trace in this process, or null. */
export function getLastActiveTraceId(): string | null {
  return lastTraceId();
}

/** Fields {@link updateCurrentTrace} can change on the active trace. */
export interface UpdateTraceOptions {
  tags?: Record<string, string>;
  metadata?: Record<string, string>;
  clientRequestId?: string;
  requestPreview?: string;
  responsePreview?: string;
}

/**
 * Updates the trace of the active span while it runs: tags, metadata, client request id and
 * previews. Throws when called outside a span.
 */
export function updateCurrentTrace(update: UpdateTraceOptions): void {
  if (!isTracingEnabled()) return;
  const span = activeLiveSpan();
  const info = span ? registry.openTraceInfoOf(span) : undefined;
  if (!info) {
    throw new InvalidArgumentError("updateCurrentTrace() must be called inside a traced function or withSpan().");
  }
  for (const [k, v] of Object.entries(update.tags ?? {})) info.tags[k] = String(v);
  for (const [k, v] of Object.entries(update.metadata ?? {})) info.traceMetadata[k] = String(v);
  if (update.clientRequestId !== undefined) info.clientRequestId = update.clientRequestId;
  if (update.requestPreview !== undefined) info.requestPreview = update.requestPreview;
  if (update.responsePreview !== undefined) info.responsePreview = update.responsePreview;
}

/** An OpenAI-style chat message, the form `mlflow.chat.messages` holds. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
  [key: string]: unknown;
}

/** An OpenAI-style tool definition, the form `mlflow.chat.tools` holds. */
export interface ChatTool {
  type: string;
  function?: { name: string; description?: string; parameters?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** Records the conversation of a CHAT_MODEL span (`mlflow.chat.messages`). */
export function setSpanChatMessages(span: LiveSpan, messages: ChatMessage[]): void {
  if (!Array.isArray(messages)) throw new InvalidArgumentError("setSpanChatMessages expects an array of messages.");
  messages.forEach((m, i) => {
    if (!m || typeof m !== "object" || typeof m.role !== "string") {
      throw new InvalidArgumentError(`Chat message ${i} needs a string "role" (e.g. "user", "assistant").`);
    }
  });
  span.setAttribute(SpanAttributeKey.CHAT_MESSAGES, messages);
}

/** Records the tools offered to a CHAT_MODEL span (`mlflow.chat.tools`). */
export function setSpanChatTools(span: LiveSpan, tools: ChatTool[]): void {
  if (!Array.isArray(tools)) throw new InvalidArgumentError("setSpanChatTools expects an array of tools.");
  tools.forEach((t, i) => {
    if (!t || typeof t !== "object" || typeof t.type !== "string") {
      throw new InvalidArgumentError(`Chat tool ${i} needs a string "type" (e.g. "function").`);
    }
  });
  span.setAttribute(SpanAttributeKey.CHAT_TOOLS, tools);
}
