/**
 * Tracewright for the OpenAI Agents SDK: a trace processor that records agent runs (agents,
 * tools, model responses, handoffs, guardrails) as typed MLflow spans.
 *
 * @packageDocumentation
 */
export {
  type AgentsAutologOptions,
  agentsIntegration,
  autolog,
  autologProcessor,
  TESTED_AGENTS_CORE,
} from "./autolog.js";
export { type AgentsProcessorOptions, TracewrightAgentsProcessor } from "./processor.js";
