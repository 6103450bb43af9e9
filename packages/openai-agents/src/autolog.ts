import { startSpan, tracingIsEnabled } from "@tracewright/core";
import { type AutologOptions, type AutologStatus, defineIntegration } from "@tracewright/core/instrumentation";
import { TracewrightAgentsProcessor, useAgentsTracing } from "./processor.js";

/** Options of {@link autolog}: the common ones (`disable`, `silent`, `redact`, `recordContent`, `logTraces`). */
export type AgentsAutologOptions = AutologOptions;

/** The `@openai/agents-core` versions the processor is tested with (a loaded copy outside is warned about). */
export const TESTED_AGENTS_CORE = ">=0.20.0 <0.21.0";

/** The processor autolog registers (one per copy of this package). */
let processor: TracewrightAgentsProcessor | null = null;
/** Whether autolog was ever called, and how it was left: a processor registered by hand records until `disable`. */
let mode: "never" | "on" | "off" = "never";

/**
 * The Agents SDK integration. The SDK has a processor API, so nothing is patched: enabling
 * registers our processor (once), disabling makes it inert. Its tracing state is global across
 * copies of `@openai/agents-core` (on `globalThis`), so one registration serves every copy; the
 * copies found are checked for their version and shape.
 */
export const agentsIntegration = defineIntegration<AgentsAutologOptions>({
  name: "openai-agents",
  modules: [{ name: "@openai/agents-core", versions: TESTED_AGENTS_CORE }],
  patch: (mod) => {
    const sdk = mod as Record<string, unknown> | null;
    return typeof sdk?.addTraceProcessor === "function" && typeof sdk.getCurrentSpan === "function";
  },
  enable() {
    mode = "on";
    processor ??= new TracewrightAgentsProcessor({ stayRegistered: true });
    processor.register();
  },
  disable() {
    mode = "off";
    processor?.deactivate();
  },
});

/**
 * The processor `autolog()` registered, or null before the first call: for apps that order the
 * SDK's processors themselves (`setTraceProcessors([agents.autologProcessor(), ...others])`).
 */
export function autologProcessor(): TracewrightAgentsProcessor | null {
  return processor;
}

// Every processor of ours, autolog's or one registered by hand, records through the integration:
// with autolog's options (its redactor on every span) while it is on, nothing after
// `autolog({ disable: true })`, and with core's defaults while autolog was never called.
useAgentsTracing({
  records: () => tracingIsEnabled() && (agentsIntegration.active() !== null || mode === "never"),
  startSpan: (options) => (agentsIntegration.active() ? agentsIntegration.startSpan(options) : startSpan(options)),
});

/**
 * Records every OpenAI Agents SDK run as a Tracewright trace, through the SDK's public tracing
 * API (`addTraceProcessor`).
 *
 * The kit's uniform autolog: idempotent (one processor, the latest options win), registered
 * before the promise is returned (awaiting it is optional), `{ disable: true }` stops recording
 * (the SDK cannot remove a processor: ours stays, inert, until the SDK's list is next replaced),
 * a loaded `@openai/agents-core` outside the tested versions is warned about once.
 *
 * Calls that `@tracewright/openai` traces inside a model response nest under that response's
 * CHAT_MODEL span. Note that the SDK turns its tracing off when `NODE_ENV` is `test`; call its
 * `setTracingDisabled(false)` there.
 *
 * @example
 * ```ts
 * import * as agents from "@tracewright/openai-agents";
 * await agents.autolog();
 * await run(triageAgent, "Hola, ¿cómo estás?");
 * ```
 */
export function autolog(options?: AgentsAutologOptions): Promise<AutologStatus> {
  return agentsIntegration.autolog(options);
}
