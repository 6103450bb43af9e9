// A RAG-style pipeline traced with Tracewright: a CHAIN root, a RETRIEVER returning Documents,
// a CHAT_MODEL span with chat messages, tools and token usage, and a TOOL that fails.
// Traces go to the embedded SQLite store (.tracewright/traces.db); no API key, no network.
import {
  AssessmentSource,
  Document,
  flushTraces,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  logExpectation,
  logFeedback,
  SpanAttributeKey,
  SpanType,
  setExperiment,
  setSpanChatMessages,
  setSpanChatTools,
  trace,
  updateCurrentTrace,
} from "@tracewright/core";

const KNOWLEDGE_BASE = [
  { uri: "docs/tracing_guide.md", text: "Tracewright records every step of an LLM app as spans in a trace." },
  { uri: "docs/trace_concepts.md", text: "A trace is a tree of spans; each span has inputs, outputs and a type." },
  { uri: "docs/stores.md", text: "Traces are stored in a local SQLite file unless a tracking URI says otherwise." },
];

const retrieveDocuments = trace(
  function retrieve_documents(query: string) {
    const words = query.toLowerCase().split(/\W+/).filter(Boolean);
    const scored = KNOWLEDGE_BASE.map((doc) => ({
      doc,
      score: words.filter((w) => doc.text.toLowerCase().includes(w)).length / words.length,
    }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 2);
    const documents = scored.map(
      ({ doc, score }, i) =>
        new Document({ pageContent: doc.text, metadata: { doc_uri: doc.uri, relevance_score: score }, id: `doc-${i}` }),
    );
    getCurrentActiveSpan()?.setOutputs(documents);
    return documents;
  },
  { spanType: SpanType.RETRIEVER },
);

const generateAnswer = trace(
  function generate_answer(question: string, documents: Document[]) {
    const messages = [
      { role: "system", content: "Answer from the context." },
      { role: "user", content: `Context: ${documents.map((d) => d.pageContent).join(" ")}\n\nQuestion: ${question}` },
    ];
    const tools = [
      {
        type: "function",
        function: {
          name: "fact_check",
          description: "Verify a statement against the knowledge base",
          parameters: { type: "object", properties: { statement: { type: "string" } }, required: ["statement"] },
        },
      },
    ];
    const answer = "Tracewright records each step of your app as a span; spans form the trace tree.";
    const span = getCurrentActiveSpan();
    if (span) {
      setSpanChatMessages(span, [...messages, { role: "assistant", content: answer }]);
      setSpanChatTools(span, tools);
      span.setAttribute(SpanAttributeKey.CHAT_USAGE, { input_tokens: 150, output_tokens: 75, total_tokens: 225 });
      span.setAttribute(SpanAttributeKey.MESSAGE_FORMAT, "openai");
    }
    return answer;
  },
  { spanType: SpanType.CHAT_MODEL },
);

const factCheck = trace(
  function fact_check(statement: string) {
    throw new Error(`Fact-check service unavailable (statement: "${statement.slice(0, 20)}...")`);
  },
  { spanType: SpanType.TOOL },
);

const ragPipeline = trace(
  function rag_pipeline(question: string) {
    updateCurrentTrace({ tags: { environment: "demo", version: "1.0.0" } });
    const documents = retrieveDocuments(question);
    const answer = generateAnswer(question, documents);
    let verified: boolean | null = null;
    try {
      factCheck(answer);
      verified = true;
    } catch {
      verified = null; // the pipeline degrades gracefully; the TOOL span keeps the error
    }
    return { answer, verified, sources: documents.map((d) => d.metadata.doc_uri) };
  },
  { spanType: SpanType.CHAIN },
);

await setExperiment("quickstart");
const result = ragPipeline("What does a trace record?");
console.log(`answer: ${result.answer}`);

const traceId = getLastActiveTraceId();
if (traceId) {
  await logFeedback({
    traceId,
    name: "helpfulness",
    value: 4,
    source: new AssessmentSource({ sourceType: "HUMAN", sourceId: "reviewer@example.com" }),
    rationale: "Accurate and concise",
  });
  await logExpectation({
    traceId,
    name: "expected_facts",
    value: ["spans", "trace tree"],
    source: new AssessmentSource({ sourceType: "HUMAN", sourceId: "subject_matter_expert" }),
  });
}
await flushTraces();
console.log(`trace ${traceId} stored\n`);
