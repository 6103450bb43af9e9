// A LangGraph prebuilt ReAct agent with one tool; @tracewright/langchain records the graph, its
// nodes, each model call (CHAT_MODEL) and each tool run (TOOL) as one trace.
import { tool } from "@langchain/core/tools";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import type { ChatOpenAI } from "@langchain/openai";

const WEATHER: Record<string, string> = {
  "New York City": "25 degrees and sunny",
  London: "15 degrees and raining",
};

export const getWeather = tool(
  async ({ location }: { location: string }) => {
    const report = WEATHER[location];
    if (!report) throw new Error(`No weather station for ${location}`);
    return report;
  },
  {
    name: "get_weather",
    description: "Current weather for a location",
    schema: { type: "object" as const, properties: { location: { type: "string" as const } }, required: ["location"] },
  },
);

export function buildWeatherAgent(model: ChatOpenAI) {
  return createReactAgent({ llm: model, tools: [getWeather], name: "weather_agent" });
}
