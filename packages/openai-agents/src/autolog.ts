import { addTraceProcessor } from "@openai/agents-core";
import { TracewrightAgentsProcessor } from "./processor.js";

let processor: TracewrightAgentsProcessor | null = null;

/** Options of {@link autolog}. */
export interface AgentsAutologOptions {
  /** Stop recording: the processor stays registered with the SDK (it has no removal API) but records nothing. */
  disable?: boolean;
}

/**
 * Records every OpenAI Agents SDK run as a Tracewright trace, through the SDK's public tracing
 * API (`addTraceProcessor`). Idempotent; `autolog({ disable: true })` stops recording.
 *
 * Calls that `@tracewright/openai` traces inside a model response nest under that response's
 * CHAT_MODEL span. Note that the SDK turns its tracing off when `NODE_ENV` is `test`; call its
 * `setTracingDisabled(false)` there.
 *
 * @example
 * ```ts
 * import * as agents from "@tracewright/openai-agents";
 * agents.autolog();
 * await run(triageAgent, "Hola, ¿cómo estás?");
 * ```
 */
export function autolog(options: AgentsAutologOptions = {}): TracewrightAgentsProcessor | null {
  if (options.disable) {
    if (processor) processor.enabled = false;
    return processor;
  }
  if (!processor) {
    processor = new TracewrightAgentsProcessor({ stayRegistered: true });
    addTraceProcessor(processor);
  }
  processor.enabled = true;
  return processor;
}
