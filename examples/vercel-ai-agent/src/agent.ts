// A weather agent: the model calls get_weather for each city, then answers from the results.
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, stepCountIs, tool } from "ai";
import { z } from "zod";

const REPORTS: Record<string, string> = {
  "New York City": "25 degrees and sunny",
  London: "15 degrees and raining",
};

export const weatherTools = {
  get_weather: tool({
    description: "The current weather in a location",
    inputSchema: z.object({ location: z.string() }),
    execute: async ({ location }) => REPORTS[location] ?? "no report",
  }),
};

export async function askWeather(question: string, apiKey: string): Promise<string> {
  const openai = createOpenAI({ apiKey });
  const { text } = await generateText({
    model: openai.chat("gpt-4o-mini"),
    system: "You are a helpful assistant providing weather updates.",
    prompt: question,
    tools: weatherTools,
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  return text;
}
