export const OPENAI_KEY = "placeholder-key-agents";
