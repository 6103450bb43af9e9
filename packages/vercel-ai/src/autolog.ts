import { OpenTelemetry, type OpenTelemetryOptions } from "@ai-sdk/otel";
import { AbandonedStreamWatch } from "./abandoned-streams.js";
import { TracewrightTracer } from "./tracer.js";

/** Options of {@link autolog}. */
export interface VercelAiAutologOptions {
  /** Stop recording: removes the integration autolog registered. */
  disable?: boolean;
  /**
   * Record the texts embedded by `embed` / `embedMany` as the EMBEDDING spans' inputs (default
   * true). Vectors are never stored, only their count and dimensions.
   */
  recordEmbeddingInputs?: boolean;
  /** Options passed on to the AI SDK's `OpenTelemetry` integration (all but `tracer`). */
  integration?: Omit<OpenTelemetryOptions, "tracer">;
}

interface TelemetryGlobal {
  AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[];
}

let registered: OpenTelemetry | null = null;
let abandonedStreams: AbandonedStreamWatch | null = null;

/**
 * Traces every AI SDK call (`generateText`, `streamText`, `generateObject`, `embed`, ...) with no
 * per-call code: registers the AI SDK's OpenTelemetry integration (`@ai-sdk/otel`) globally,
 * writing into Tracewright through {@link TracewrightTracer}. A call becomes one trace: the
 * call as AGENT (tools or several steps) or CHAIN, each step as CHAIN, each model call as
 * CHAT_MODEL with messages, tools and token usage, each tool execution as TOOL, embeddings as
 * EMBEDDING. A `streamText` result dropped before its stream ended still ends its trace, marked
 * `stream_abandoned`, once it is garbage collected. Idempotent; `autolog({ disable: true })`
 * removes the integration. A call that passes its own `telemetry: { integrations }` or
 * `isEnabled: false` is left as it asks.
 *
 * @example
 * ```ts
 * import * as vercelAi from "@tracewright/vercel-ai";
 * vercelAi.autolog();
 * const { text } = await generateText({ model: openai("gpt-4o-mini"), prompt: "Hi" });
 * ```
 */
export function autolog(options: VercelAiAutologOptions = {}): void {
  const store = globalThis as TelemetryGlobal;
  if (registered) {
    const list = store.AI_SDK_TELEMETRY_INTEGRATIONS ?? [];
    const i = list.indexOf(registered);
    if (i >= 0) list.splice(i, 1);
    registered = null;
  }
  abandonedStreams?.stop();
  abandonedStreams = null;
  if (options.disable) return;
  registered = new OpenTelemetry({
    embedding: options.recordEmbeddingInputs ?? true,
    ...options.integration,
    tracer: new TracewrightTracer(),
  });
  // the AI SDK reads its integrations from this global (what its registerTelemetry() appends to)
  store.AI_SDK_TELEMETRY_INTEGRATIONS ??= [];
  store.AI_SDK_TELEMETRY_INTEGRATIONS.push(registered);
  // a streamText result dropped before its stream ended fires no end event: end its trace then
  abandonedStreams = new AbandonedStreamWatch(registered);
  abandonedStreams.start();
}
