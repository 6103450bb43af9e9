// A weather assistant on Bedrock's Converse API: the model asks for a tool, the app runs it (a
// TOOL span), and the model answers. @tracewright/bedrock records every model call as a
// CHAT_MODEL span, with the tool definitions, the tool call, its result and the token usage.
import {
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type Message,
  type ToolConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import { SpanType, trace } from "@tracewright/core";

export const MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0";

const WEATHER: Record<string, { tempC: number; sky: string }> = {
  Seattle: { tempC: 12, sky: "light rain" },
  Phoenix: { tempC: 31, sky: "clear" },
};

const TOOLS: ToolConfiguration = {
  tools: [
    {
      toolSpec: {
        name: "get_weather",
        description: "Current weather in a city",
        inputSchema: {
          json: {
            type: "object",
            properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
            required: ["city"],
          },
        },
      },
    },
  ],
};

export const getWeather = trace(
  function get_weather(city: string) {
    const report = WEATHER[city];
    if (!report) throw new Error(`No weather station for ${city}`);
    return report;
  },
  { spanType: SpanType.TOOL },
);

/** A weather assistant bound to one Bedrock Runtime client. */
export class WeatherAgent {
  private readonly client: BedrockRuntimeClient;

  constructor(client: BedrockRuntimeClient) {
    this.client = client;
  }

  /** Runs the Converse + tool-use loop until the model answers in text (one AGENT span). */
  readonly ask = trace(
    async (question: string): Promise<string> => {
      const messages: Message[] = [{ role: "user", content: [{ text: question }] }];
      for (let turn = 0; turn < 5; turn++) {
        const response = await this.client.send(
          new ConverseCommand({
            modelId: MODEL_ID,
            system: [{ text: "You are a concise weather assistant." }],
            messages,
            toolConfig: TOOLS,
            inferenceConfig: { maxTokens: 512, temperature: 0.2 },
          }),
        );
        const message = response.output?.message;
        if (!message) throw new Error("Bedrock returned no message");
        messages.push(message);
        const calls = (message.content ?? []).flatMap((block) => (block.toolUse ? [block.toolUse] : []));
        if (response.stopReason !== "tool_use" || calls.length === 0) {
          return (message.content ?? []).map((block) => block.text ?? "").join("");
        }
        const results: ContentBlock[] = calls.map((call) => {
          const { city } = call.input as { city: string };
          return { toolResult: { toolUseId: call.toolUseId, content: [{ json: getWeather(city) }] } };
        });
        messages.push({ role: "user", content: results });
      }
      throw new Error("The model did not answer within 5 turns");
    },
    { name: "weather_agent", spanType: SpanType.AGENT },
  );
}
