import { createOpenAI } from "@ai-sdk/openai";

export const OPENAI_KEY = "placeholder-key-vercel-ai";

/** The AI SDK's OpenAI provider, pointed at the recorded API. */
export const openai = createOpenAI({ apiKey: OPENAI_KEY });

/** The weather tool of the recorded two-turn conversation, answering as the recording expects. */
export const weatherReport = (location: string) =>
  location === "London" ? "15 degrees and raining" : "25 degrees and sunny";
