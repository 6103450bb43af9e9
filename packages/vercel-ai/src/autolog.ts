import { OpenTelemetry, type OpenTelemetryOptions } from "@ai-sdk/otel";
import { type AutologOptions, type AutologStatus, defineIntegration } from "@tracewright/core/instrumentation";
import { AbandonedStreamWatch } from "./abandoned-streams.js";
import { TracewrightTracer } from "./tracer.js";

/** Options of {@link autolog}: the common ones (`disable`, `silent`, `redact`, `recordContent`, `logTraces`) and the AI SDK's. */
export interface VercelAiAutologOptions extends AutologOptions {
  /**
   * Record the texts embedded by `embed` / `embedMany` as the EMBEDDING spans' inputs (default
   * true). Vectors are never stored, only their count and dimensions.
   */
  recordEmbeddingInputs?: boolean;
  /** Options passed on to the AI SDK's `OpenTelemetry` integration (all but `tracer`). */
  integration?: Omit<OpenTelemetryOptions, "tracer">;
}

interface VercelAiSettings {
  recordEmbeddingInputs: boolean;
  integration: Omit<OpenTelemetryOptions, "tracer">;
}

interface TelemetryGlobal {
  AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[];
}

/** The AI SDK integration autolog registered, and the watch ending its dropped streams. */
let registered: { integration: OpenTelemetry; abandonedStreams: AbandonedStreamWatch } | null = null;

function unregister(): void {
  if (!registered) return;
  const list = (globalThis as TelemetryGlobal).AI_SDK_TELEMETRY_INTEGRATIONS ?? [];
  const i = list.indexOf(registered.integration);
  if (i >= 0) list.splice(i, 1);
  registered.abandonedStreams.stop();
  registered = null;
}

/** What the modules the AI SDK's telemetry comes from must offer. */
const EXPECTED_EXPORT: Record<string, string> = { ai: "generateText", "@ai-sdk/otel": "OpenTelemetry" };

/**
 * The Vercel AI SDK integration. The AI SDK reads its telemetry integrations from a global list,
 * so nothing is patched: enabling registers the `OpenTelemetry` integration (with a tracer
 * recording through this integration, its redactor included) and the dropped-stream watch;
 * disabling removes both.
 */
export const vercelAiIntegration = defineIntegration<VercelAiAutologOptions, VercelAiSettings>({
  name: "vercel-ai",
  modules: [
    { name: "ai", versions: ">=7.0.0 <8.0.0" },
    { name: "@ai-sdk/otel", versions: ">=1.0.0 <2.0.0" },
  ],
  settings: (options) => ({
    recordEmbeddingInputs: options.recordEmbeddingInputs ?? true,
    integration: options.integration ?? {},
  }),
  patch: (mod, { module }) =>
    typeof (mod as Record<string, unknown> | null)?.[EXPECTED_EXPORT[module] ?? ""] === "function",
  enable() {
    unregister();
    const settings = vercelAiIntegration.active();
    const extra = settings?.extra;
    const integration = new OpenTelemetry({
      // with content left out the embedded texts are not even collected
      embedding: (extra?.recordEmbeddingInputs ?? true) && (settings?.recordContent ?? true),
      ...extra?.integration,
      tracer: new TracewrightTracer({ startSpan: vercelAiIntegration.startSpan }),
    });
    // the AI SDK reads its integrations from this global (what its registerTelemetry() appends to)
    const store = globalThis as TelemetryGlobal;
    store.AI_SDK_TELEMETRY_INTEGRATIONS ??= [];
    store.AI_SDK_TELEMETRY_INTEGRATIONS.push(integration);
    // a streamText result dropped before its stream ended fires no end event: end its trace then
    const abandonedStreams = new AbandonedStreamWatch(integration);
    abandonedStreams.start();
    registered = { integration, abandonedStreams };
  },
  disable: unregister,
});

/**
 * Traces every AI SDK call (`generateText`, `streamText`, `generateObject`, `embed`, ...) with no
 * per-call code: registers the AI SDK's OpenTelemetry integration (`@ai-sdk/otel`) globally,
 * writing into Tracewright through `@tracewright/otel-genai`'s tracer. A call becomes one trace:
 * the call as AGENT (tools or several steps) or CHAIN, each step as CHAIN, each model call as
 * CHAT_MODEL with messages, tools and token usage, each tool execution as TOOL, embeddings as
 * EMBEDDING. A `streamText` result dropped before its stream ended still ends its trace, marked
 * `stream_abandoned`, once it is garbage collected. A call that passes its own
 * `telemetry: { integrations }` or `isEnabled: false` is left as it asks.
 *
 * The kit's uniform autolog: idempotent (the latest options win), the integration is registered
 * before the promise is returned (awaiting it is optional), `{ disable: true }` removes the
 * integration and the watch; a loaded `ai` or `@ai-sdk/otel` outside the tested versions is warned
 * about once.
 *
 * @example
 * ```ts
 * import * as vercelAi from "@tracewright/vercel-ai";
 * await vercelAi.autolog();
 * const { text } = await generateText({ model: openai("gpt-4o-mini"), prompt: "Hi" });
 * ```
 */
export function autolog(options?: VercelAiAutologOptions): Promise<AutologStatus> {
  return vercelAiIntegration.autolog(options);
}
