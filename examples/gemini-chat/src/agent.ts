// A weather assistant on a Gemini chat: the model asks for the weather tool, the app runs it (a
// TOOL span) and sends the function response back, and the model answers. @tracewright/google-genai
// records each chat message as one CHAT_MODEL span (the model call it makes included).
import type { Chat, GoogleGenAI, Part, Tool } from "@google/genai";
import { Type } from "@google/genai";
import { SpanType, trace } from "@tracewright/core";

const WEATHER: Record<string, string> = {
  "New York City": "25 degrees and sunny",
  London: "15 degrees and raining",
};

const TOOLS: Tool[] = [
  {
    functionDeclarations: [
      {
        name: "get_weather",
        description: "The current weather at a location",
        parameters: {
          type: Type.OBJECT,
          properties: { location: { type: Type.STRING, description: "A city" } },
          required: ["location"],
        },
      },
    ],
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

/** A weather assistant bound to one Gemini client. */
export class WeatherChat {
  private readonly ai: GoogleGenAI;

  constructor(ai: GoogleGenAI) {
    this.ai = ai;
  }

  /** Runs the chat + function-calling loop until the model answers in text (one AGENT span). */
  readonly ask = trace(
    async (question: string): Promise<string> => {
      const chat: Chat = this.ai.chats.create({ model: "gemini-2.5-flash", config: { tools: TOOLS } });
      let response = await chat.sendMessage({ message: question });
      for (let turn = 0; turn < 5; turn++) {
        const calls = response.functionCalls ?? [];
        if (calls.length === 0) return response.text ?? "";
        const results: Part[] = calls.map((call) => ({
          functionResponse: {
            ...(call.id ? { id: call.id } : {}),
            name: String(call.name),
            response: { report: getWeather(String(call.args?.location)) },
          },
        }));
        response = await chat.sendMessage({ message: results });
      }
      throw new Error("The model did not answer within 5 turns");
    },
    { name: "weather_chat", spanType: SpanType.AGENT },
  );
}
