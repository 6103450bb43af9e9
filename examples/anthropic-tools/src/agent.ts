// A weather assistant: Claude thinks, asks for a tool, the app runs it (a TOOL span) and sends the
// result back, until Claude answers in text. @tracewright/anthropic records every model call as a
// CHAT_MODEL span (thinking, tool_use and tool_result blocks included).
import type Anthropic from "@anthropic-ai/sdk";
import { SpanType, trace } from "@tracewright/core";

const WEATHER: Record<string, string> = {
  "San Francisco": "18°C, foggy",
  Paris: "21°C, sunny",
};

const TOOLS: Anthropic.Tool[] = [
  {
    name: "get_weather",
    description: "Get the current weather in a given location",
    input_schema: {
      type: "object",
      properties: { location: { type: "string", description: "The city, e.g. San Francisco" } },
      required: ["location"],
    },
  },
];

export const getWeather = trace(
  function get_weather(location: string) {
    const report = WEATHER[location];
    if (!report) throw new Error(`No weather station for ${location}`);
    return report;
  },
  { spanType: SpanType.TOOL },
);

/** A weather assistant bound to one Anthropic client. */
export class WeatherAgent {
  private readonly client: Anthropic;

  constructor(client: Anthropic) {
    this.client = client;
  }

  /** Runs the tool-use loop until the model answers in text (one AGENT span). */
  readonly ask = trace(
    async (question: string): Promise<string> => {
      const messages: Anthropic.MessageParam[] = [{ role: "user", content: question }];
      for (let turn = 0; turn < 5; turn++) {
        const reply = await this.client.messages.create({
          model: "claude-sonnet-4-6",
          max_tokens: 2048,
          thinking: { type: "enabled", budget_tokens: 1024 },
          tools: TOOLS,
          messages,
        });
        const calls = reply.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
        if (reply.stop_reason !== "tool_use" || calls.length === 0) {
          return reply.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
        }
        // the thinking blocks go back with the tool calls, as extended thinking requires
        messages.push({ role: "assistant", content: reply.content });
        messages.push({
          role: "user",
          content: calls.map((call) => ({
            type: "tool_result" as const,
            tool_use_id: call.id,
            content: getWeather((call.input as { location: string }).location),
          })),
        });
      }
      throw new Error("The model did not answer within 5 turns");
    },
    { name: "weather_agent", spanType: SpanType.AGENT },
  );
}
