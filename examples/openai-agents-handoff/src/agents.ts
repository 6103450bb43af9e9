// Two agents: a triage agent that hands Spanish speakers off to a Spanish-speaking agent.
import { Agent, run, setTracingDisabled } from "@openai/agents";

export const spanishAgent = new Agent({ name: "spanish_agent", instructions: "You only speak Spanish." });
export const triageAgent = new Agent({
  name: "triage_agent",
  instructions: "Hand off to the agent that speaks the user's language.",
  handoffs: [spanishAgent],
});

export async function converse(message: string): Promise<string> {
  setTracingDisabled(false); // the SDK switches tracing off under NODE_ENV=test
  const result = await run(triageAgent, message);
  return String(result.finalOutput);
}
