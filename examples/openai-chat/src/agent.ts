// A weather assistant: the model asks for tools, the app runs them (each a TOOL span), and the
// model answers. @tracewright/openai records every model call as a CHAT_MODEL span.
import { SpanType, trace } from "@tracewright/core";
import type OpenAI from "openai";

const WEATHER: Record<string, string> = {
  "New York City": "25 degrees and sunny",
  London: "15 degrees and raining",
};

const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      strict: true,
      parameters: {
        type: "object",
        properties: { location: { type: "string" } },
        required: ["location"],
        additionalProperties: false,
      },
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

/** A weather assistant bound to one openai client. */
export class WeatherAgent {
  private readonly client: OpenAI;

  constructor(client: OpenAI) {
    this.client = client;
  }

  /** Runs the chat + tool-calling loop until the model answers in text (one AGENT span). */
  readonly ask = trace(
    async (question: string): Promise<string> => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: "system", content: "You are a helpful assistant providing weather updates." },
        { role: "user", content: question },
      ];
      for (let turn = 0; turn < 5; turn++) {
        const completion = await this.client.chat.completions.create({ model: "gpt-4o-mini", messages, tools: TOOLS });
        const message = completion.choices[0]!.message;
        const calls = message.tool_calls ?? [];
        if (calls.length === 0) return message.content ?? "";
        messages.push({ role: "assistant", tool_calls: calls });
        for (const call of calls) {
          if (call.type !== "function") continue;
          const { location } = JSON.parse(call.function.arguments) as { location: string };
          messages.push({ role: "tool", tool_call_id: call.id, content: getWeather(location) });
        }
      }
      throw new Error("The model did not answer within 5 turns");
    },
    { name: "weather_agent", spanType: SpanType.AGENT },
  );
}
