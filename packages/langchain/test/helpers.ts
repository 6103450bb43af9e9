export const OPENAI_KEY = "placeholder-key-langchain";
