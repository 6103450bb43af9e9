// A question-answering engine over one document: embed, retrieve, answer.
import { OpenAI, OpenAIEmbedding } from "@llamaindex/openai";
import { Document, Settings, VectorStoreIndex } from "llamaindex";

export const ESSAY =
  "Albert Einstein: A Genius Unveiled\n\nAlbert Einstein, renowned as the father of modern physics, remains an emblematic figure in the annals of science. Born in Ulm, Germany, in 1879, his intellectual prowess was evident from an early age. However, it was his groundbreaking theory of relativity, encapsulated in the equation E=mc^2, that revolutionized our understanding of space, time, and energy.";

export function useOpenAI(apiKey: string): void {
  Settings.llm = new OpenAI({ model: "gpt-4o", temperature: 0.1, apiKey, maxRetries: 0 });
  Settings.embedModel = new OpenAIEmbedding({ model: "text-embedding-ada-002", apiKey, maxRetries: 0 });
}

export async function ask(question: string): Promise<string> {
  const index = await VectorStoreIndex.fromDocuments([
    new Document({ text: ESSAY, metadata: { file_name: "essay.txt" } }),
  ]);
  const answer = await index.asQueryEngine().query({ query: question });
  return String(answer.message.content);
}
