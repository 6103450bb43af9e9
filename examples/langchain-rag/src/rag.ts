// A small RAG chain: a keyword retriever over a few documents, a prompt, a chat model and a
// parser. @tracewright/langchain records it as one trace: CHAIN root, RETRIEVER with the
// documents, CHAT_MODEL with messages and token usage, PARSER.
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { BaseRetriever } from "@langchain/core/retrievers";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import type { ChatOpenAI } from "@langchain/openai";

const DOCS = [
  new Document({
    pageContent: "Bouvet Island lies in the South Atlantic Ocean.",
    metadata: { source: "geo/bouvet.md" },
    id: "bouvet",
  }),
  new Document({
    pageContent: "The Atlantic is the second-largest ocean.",
    metadata: { source: "geo/atlantic.md" },
    id: "atlantic",
  }),
  new Document({
    pageContent: "Tracewright records traces of LLM apps.",
    metadata: { source: "docs/tracewright.md" },
    id: "tw",
  }),
];

/** Ranks documents by the words they share with the query. */
export class KeywordRetriever extends BaseRetriever {
  override lc_namespace = ["examples", "retrievers"];
  k = 2;

  override async _getRelevantDocuments(query: string, _run?: CallbackManagerForRetrieverRun): Promise<Document[]> {
    const words = new Set(query.toLowerCase().match(/\w+/g) ?? []);
    const score = (d: Document) => (d.pageContent.toLowerCase().match(/\w+/g) ?? []).filter((w) => words.has(w)).length;
    return [...DOCS].sort((a, b) => score(b) - score(a)).slice(0, this.k);
  }
}

const prompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer in up to 3 words, from this context:\n{context}"],
  ["human", "{question}"],
]);

/** question -> answer, grounded in the retrieved documents. */
export function buildRagChain(model: ChatOpenAI) {
  const retriever = new KeywordRetriever();
  const formatDocs = RunnableLambda.from((docs: Document[]) => docs.map((d) => d.pageContent).join("\n")).withConfig({
    runName: "format_docs",
  });
  return RunnableSequence.from([
    { context: retriever.pipe(formatDocs), question: new RunnablePassthrough() },
    prompt,
    model,
    new StringOutputParser(),
  ]).withConfig({ runName: "rag_chain" });
}
