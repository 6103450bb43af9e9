/**
 * The spec's trace entity reference (003): the RAG pipeline example and the TraceInfo, TraceData,
 * Span, LiveSpan, SpanEvent, SpanStatus, Document, search and serialisation APIs.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AssessmentSource,
  AssessmentSourceType,
  Document,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  getTrace,
  logExpectation,
  logFeedback,
  Span,
  SpanAttributeKey,
  SpanEvent,
  SpanStatus,
  SpanStatusCode,
  SpanType,
  setSpanChatMessages,
  setSpanChatTools,
  startSpan,
  Trace,
  trace,
  updateCurrentTrace,
  withSpan,
} from "../src/index.js";
import { storedTraces, treeOf, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

const retrieveDocuments = trace(
  function retrieve_documents(_query: string) {
    const span = getCurrentActiveSpan()!;
    const documents = [
      new Document({
        pageContent: "MLflow Tracing provides observability for GenAI apps...",
        metadata: { doc_uri: "docs/mlflow/tracing_guide.md", chunk_id: "chunk_001", relevance_score: 0.95 },
      }),
      new Document({
        pageContent: "Traces consist of spans that capture execution steps...",
        metadata: { doc_uri: "docs/mlflow/trace_concepts.md", chunk_id: "chunk_042", relevance_score: 0.87 },
      }),
    ];
    span.setOutputs(documents);
    return documents.map((d) => d.toDict());
  },
  { spanType: SpanType.RETRIEVER },
);

const generateAnswer = trace(
  function generate_answer(question: string, documents: unknown[]) {
    const messages = [
      { role: "system", content: "You are a helpful assistant. Use the provided context to answer questions." },
      { role: "user", content: `Context: ${JSON.stringify(documents)}\n\nQuestion: ${question}` },
    ];
    const tools = [
      {
        type: "function",
        function: {
          name: "fact_check",
          description: "Verify facts in the response",
          parameters: { type: "object", properties: { statement: { type: "string" } }, required: ["statement"] },
        },
      },
    ];
    const span = getCurrentActiveSpan()!;
    setSpanChatMessages(span, messages);
    setSpanChatTools(span, tools);
    span.setAttribute("llm.token_usage.input_tokens", 150);
    span.setAttribute("llm.token_usage.output_tokens", 75);
    span.setAttribute("llm.token_usage.total_tokens", 225);
    span.setAttribute(SpanAttributeKey.CHAT_USAGE, { input_tokens: 150, output_tokens: 75, total_tokens: 225 });
    return "MLflow Tracing provides comprehensive observability for GenAI applications by capturing detailed execution information through spans.";
  },
  { spanType: SpanType.CHAT_MODEL },
);

const factCheckTool = trace(
  function fact_check_tool(statement: string) {
    if (statement.includes("comprehensive")) throw new Error("Fact verification service unavailable");
    return { verified: true, confidence: 0.92 };
  },
  { spanType: SpanType.TOOL },
);

const ragPipeline = trace(
  function rag_pipeline(question: string) {
    updateCurrentTrace({
      tags: {
        environment: "production",
        version: "2.1.0",
        user_id: "U12345",
        session_id: "S98765",
        "mlflow.traceName": "rag_pipeline",
      },
    });
    const documents = retrieveDocuments(question);
    const response = generateAnswer(question, documents);
    const factCheck = factCheckTool(response);
    return { answer: response, fact_check: factCheck, sources: documents.map((d) => d.metadata.doc_uri) };
  },
  { spanType: SpanType.CHAIN },
);

async function runPipelineWithAssessments(): Promise<Trace> {
  expect(() => ragPipeline("What is MLflow Tracing?")).toThrow("Fact verification service unavailable");
  const traceId = getLastActiveTraceId()!;
  let t = (await getTrace(traceId))!;
  await logFeedback({
    traceId,
    name: "helpfulness",
    value: 4,
    source: new AssessmentSource({ sourceType: AssessmentSourceType.HUMAN, sourceId: "reviewer_alice@company.com" }),
    rationale: "Clear and accurate response with good context usage",
  });
  await logFeedback({
    traceId,
    name: "relevance_score",
    value: 0.92,
    source: new AssessmentSource({ sourceType: "LLM_JUDGE", sourceId: "gpt-4-evaluator" }),
    metadata: { evaluation_prompt_version: "v2.1" },
  });
  await logExpectation({
    traceId,
    name: "expected_facts",
    value: ["observability", "spans", "GenAI applications"],
    source: new AssessmentSource({ sourceType: "HUMAN", sourceId: "subject_matter_expert" }),
  });
  const retrieverSpan = t.searchSpans({ name: "retrieve_documents" })[0]!;
  await logFeedback({
    traceId,
    spanId: retrieverSpan.spanId,
    name: "retrieval_quality",
    value: "excellent",
    source: new AssessmentSource({ sourceType: "CODE", sourceId: "retrieval_evaluator.py" }),
  });
  t = (await getTrace(traceId))!;
  return t;
}

describe("the RAG pipeline example", () => {
  let t: Trace;
  beforeEach(async () => {
    t = await runPipelineWithAssessments();
  });

  it("builds the span tree with types and the failing tool", () => {
    expect(treeOf(t)).toEqual([
      "rag_pipeline (CHAIN) ERROR",
      "  retrieve_documents (RETRIEVER) OK",
      "  generate_answer (CHAT_MODEL) OK",
      "  fact_check_tool (TOOL) ERROR",
    ]);
  });

  it("exposes the TraceInfo fields and aliases", () => {
    const info = t.info;
    expect(info.traceId).toMatch(/^tr-[0-9a-f]{32}$/);
    expect(info.state).toBe("ERROR");
    expect(info.status).toBe("ERROR");
    expect(info.timestampMs).toBe(info.requestTime);
    expect(info.executionTimeMs).toBe(info.executionDuration);
    expect(info.executionDuration).toBeGreaterThanOrEqual(0);
    expect(info.traceLocation.type).toBe("MLFLOW_EXPERIMENT");
    expect(info.experimentId).toBe("0");
    expect(info.tags.environment).toBe("production");
    expect(info.tags["mlflow.traceName"]).toBe("rag_pipeline");
    expect(info.traceMetadata["mlflow.trace_schema.version"]).toBe("3");
    expect(info.requestMetadata).toBe(info.traceMetadata);
    expect(info.requestPreview).toBe('{"question":"What is MLflow Tracing?"}');
    expect(info.tokenUsage).toEqual({ input_tokens: 150, output_tokens: 75, total_tokens: 225 });
  });

  it("stores RETRIEVER outputs as MLflow documents", () => {
    const retriever = t.searchSpans({ spanType: SpanType.RETRIEVER })[0]!;
    const docs = retriever.outputs as Array<{ page_content: string; metadata: Record<string, unknown>; id: null }>;
    expect(docs).toHaveLength(2);
    expect(docs[0]).toEqual({
      page_content: "MLflow Tracing provides observability for GenAI apps...",
      metadata: { doc_uri: "docs/mlflow/tracing_guide.md", chunk_id: "chunk_001", relevance_score: 0.95 },
      id: null,
    });
  });

  it("keeps chat messages, tools and token usage on the CHAT_MODEL span", () => {
    const chat = t.searchSpans({ spanType: SpanType.CHAT_MODEL })[0]!;
    const messages = chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<{ role: string }>;
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    const tools = chat.getAttribute(SpanAttributeKey.CHAT_TOOLS) as Array<{ function: { name: string } }>;
    expect(tools[0]!.function.name).toBe("fact_check");
    expect(chat.getAttribute("llm.token_usage.input_tokens")).toBe(150);
    expect(chat.toDict().attributes["mlflow.chat.tokenUsage"]).toBe(
      '{"input_tokens":150,"output_tokens":75,"total_tokens":225}',
    );
  });

  it("searches spans by exact name, regex, type, id and combined criteria", () => {
    expect(t.searchSpans({ name: "retrieve_documents" })).toHaveLength(1);
    expect(t.searchSpans({ name: /.*_tool$/ }).map((s) => s.name)).toEqual(["fact_check_tool"]);
    expect(t.searchSpans({ spanType: "CHAT_MODEL" })).toHaveLength(1);
    const id = t.searchSpans({ name: "retrieve_documents" })[0]!.spanId;
    expect(t.searchSpans({ spanId: id })[0]!.name).toBe("retrieve_documents");
    expect(t.searchSpans({ name: "fact_check_tool", spanType: SpanType.TOOL })).toHaveLength(1);
    expect(t.searchSpans({ name: "fact_check_tool", spanType: SpanType.LLM })).toHaveLength(0);
    expect(t.searchSpans({ name: "missing" })).toEqual([]);
  });

  it("searches assessments by name, type and span", () => {
    expect(t.searchAssessments()).toHaveLength(4);
    const helpfulness = t.searchAssessments({ name: "helpfulness" })[0]!;
    expect(helpfulness.value).toBe(4);
    expect(helpfulness.source.sourceType).toBe("HUMAN");
    expect(helpfulness.source.sourceId).toBe("reviewer_alice@company.com");
    expect(helpfulness.rationale).toBe("Clear and accurate response with good context usage");
    expect(t.searchAssessments({ type: "feedback" })).toHaveLength(3);
    expect(t.searchAssessments({ type: "expectation" })[0]!.value).toEqual([
      "observability",
      "spans",
      "GenAI applications",
    ]);
    const retrieverId = t.searchSpans({ name: "retrieve_documents" })[0]!.spanId;
    expect(t.searchAssessments({ spanId: retrieverId }).map((a) => a.name)).toEqual(["retrieval_quality"]);
    expect(t.searchAssessments({ type: "feedback", name: "relevance_score" })[0]!.metadata).toEqual({
      evaluation_prompt_version: "v2.1",
    });
  });

  it("records the failing tool's exception on its span", () => {
    const tool = t.searchSpans({ name: "fact_check_tool" })[0]!;
    expect(tool.status.statusCode).toBe(SpanStatusCode.ERROR);
    expect(tool.status.description).toContain("Fact verification service unavailable");
    expect(tool.events[0]!.attributes["exception.type"]).toBe("Error");
  });

  it("round-trips through toJson / fromJson and toDict / fromDict", () => {
    const json = t.toJson();
    const loaded = Trace.fromJson(json);
    expect(loaded.toJson()).toBe(json);
    expect(loaded.info.traceId).toBe(t.info.traceId);
    expect(loaded.data.spans.map((s) => s.spanId)).toEqual(t.data.spans.map((s) => s.spanId));
    expect(loaded.searchAssessments()).toHaveLength(4);
    const pretty = t.toJson({ pretty: true });
    expect(pretty).toContain('\n  "info": {');
    expect(Trace.fromJSON(pretty).toJson()).toBe(json);
    expect(JSON.stringify(t)).toBe(json);
    const dict = t.toDict();
    expect(Object.keys(dict)).toEqual(["info", "data"]);
    expect(Trace.fromDict(dict).toDict()).toEqual(dict);
    const span = t.data.spans[1]!;
    expect(Span.fromDict(span.toDict()).toDict()).toEqual(span.toDict());
  });

  it("flattens to a row with parsed request and response", () => {
    const row = t.toRow();
    expect(row.trace_id).toBe(t.info.traceId);
    expect(row.state).toBe("ERROR");
    expect(row.request).toEqual({ question: "What is MLflow Tracing?" });
    expect(row.response).toBeNull();
    expect(row.spans).toHaveLength(4);
    expect(row.assessments).toHaveLength(4);
  });
});

describe("live spans", () => {
  it("supports the LiveSpan API of the process_data example", async () => {
    const processData = trace(
      function process_data(data: Record<string, unknown>) {
        const span = getCurrentActiveSpan()!;
        span.setSpanType(SpanType.CHAIN);
        span.setInputs({ data, timestamp: 1 });
        span.setAttribute("processing_version", "2.0");
        span.setAttributes({ environment: "production", custom_metadata: { key: "value" } });
        const result = { processed: true, count: Object.keys(data).length };
        span.setOutputs(result);
        span.setStatus(SpanStatusCode.OK);
        return result;
      },
      { spanType: SpanType.CHAIN },
    );
    processData({ a: 1, b: 2 });
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.attributes).toMatchObject({
      processing_version: "2.0",
      environment: "production",
      custom_metadata: { key: "value" },
    });
    expect(span.inputs).toEqual({ data: { a: 1, b: 2 }, timestamp: 1 });
    expect(span.outputs).toEqual({ processed: true, count: 2 });
  });

  it("adds events and ends manually with outputs, attributes and status", async () => {
    withSpan({ name: "manual_span", spanType: SpanType.TOOL }, (span) => {
      span.addEvent(
        new SpanEvent({ name: "processing_started", attributes: { stage: "initialization", memory_usage_mb: 256 } }),
      );
      span.addEvent(new SpanEvent({ name: "checkpoint_reached", attributes: { progress: 0.5 } }));
      span.end({ outputs: { result: "success" }, attributes: { final_metric: 0.95 }, status: SpanStatusCode.OK });
    });
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.events.map((e) => e.name)).toEqual(["processing_started", "checkpoint_reached"]);
    expect(span.events[0]!.attributes).toEqual({ stage: "initialization", memory_usage_mb: 256 });
    expect(span.outputs).toEqual({ result: "success" });
    expect(span.getAttribute("final_metric")).toBe(0.95);
  });

  it("records exceptions with recordException and SpanEvent.fromException", async () => {
    withSpan({ name: "x" }, (span) => {
      try {
        throw new RangeError("Invalid input format");
      } catch (e) {
        span.addEvent(SpanEvent.fromException(e));
      }
      span.recordException(new Error("second"));
    });
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.events.map((e) => [e.name, e.attributes["exception.type"], e.attributes["exception.message"]])).toEqual(
      [
        ["exception", "RangeError", "Invalid input format"],
        ["exception", "Error", "second"],
      ],
    );
    expect(span.status.statusCode).toBe("ERROR");
  });

  it("starts spans with manual lifetimes that nest under the active span", async () => {
    await withSpan({ name: "parent" }, async () => {
      const child = startSpan({ name: "manual", spanType: "LLM", inputs: { q: 1 } });
      await new Promise((r) => setTimeout(r, 1));
      child.end({ outputs: { a: 2 } });
    });
    const [t] = await storedTraces(store());
    expect(treeOf(t!)).toEqual(["parent (UNKNOWN) OK", "  manual (LLM) OK"]);
  });

  it("ends children left open when the root ends, and ignores writes after end", async () => {
    let leaked: ReturnType<typeof startSpan> | undefined;
    withSpan({ name: "root" }, () => {
      leaked = startSpan({ name: "never-ended" });
    });
    leaked!.setOutputs("late");
    const [t] = await storedTraces(store());
    const child = t!.searchSpans({ name: "never-ended" })[0]!;
    expect(child.endTimeNs).not.toBeNull();
    expect(child.outputs).toBeNull();
  });
});

describe("span status and events", () => {
  it("builds statuses from objects, strings and OpenTelemetry codes", () => {
    expect(new SpanStatus(SpanStatusCode.ERROR, "Failed to connect to database").toDict()).toEqual({
      code: "STATUS_CODE_ERROR",
      message: "Failed to connect to database",
    });
    expect(SpanStatus.from("OK").statusCode).toBe("OK");
    expect(SpanStatus.from("STATUS_CODE_ERROR").statusCode).toBe("ERROR");
    expect(SpanStatus.from({ code: 2, message: "boom" }).description).toBe("boom");
    expect(() => SpanStatus.from("BROKEN")).toThrow(/Invalid span status code "BROKEN"/);
  });

  it("keeps an explicit event timestamp", () => {
    const e = new SpanEvent({ name: "data_checkpoint", timestamp: 1234, attributes: { checkpoint_id: "ckpt_123" } });
    expect(e.toDict()).toEqual({
      name: "data_checkpoint",
      time_unix_nano: 1234,
      attributes: { checkpoint_id: "ckpt_123" },
    });
  });
});

describe("chat attribute helpers", () => {
  it("reject messages without a role and tools without a type", () => {
    withSpan({ name: "chat", spanType: "CHAT_MODEL" }, (span) => {
      expect(() => setSpanChatMessages(span, [{ content: "hi" } as never])).toThrow(/needs a string "role"/);
      expect(() => setSpanChatTools(span, [{ function: { name: "f" } } as never])).toThrow(/needs a string "type"/);
    });
  });
});

describe("exception events", () => {
  it("name the error's class when the library leaves name as Error", () => {
    class RateLimitError extends Error {}
    expect(SpanEvent.fromException(new RateLimitError("slow down")).attributes["exception.type"]).toBe(
      "RateLimitError",
    );
    expect(SpanEvent.fromException(new TypeError("t")).attributes["exception.type"]).toBe("TypeError");
    expect(SpanEvent.fromException("a string").attributes).toMatchObject({
      "exception.type": "string",
      "exception.message": "a string",
    });
  });

  it("read OpenTelemetry's plain-object exceptions ({ name, message, stack })", () => {
    const event = SpanEvent.fromException({
      name: "AI_APICallError",
      message: "quota",
      stack: "AI_APICallError: quota\n at x",
    });
    expect(event.attributes).toEqual({
      "exception.type": "AI_APICallError",
      "exception.message": "quota",
      "exception.stacktrace": "AI_APICallError: quota\n at x",
    });
    expect(SpanEvent.fromException({ code: 504, message: "timeout" }).attributes).toMatchObject({
      "exception.type": "504",
      "exception.message": "timeout",
    });
  });
});

describe("suppressed child spans", () => {
  it("runs nested calls of the suppressed types untraced, and others traced", async () => {
    const sdkCall = trace(() => "sdk", { name: "Completions", spanType: "CHAT_MODEL" });
    const helper = trace(() => "helper", { name: "helper", spanType: "TOOL" });
    withSpan({ name: "model", spanType: "CHAT_MODEL" }, (span) => {
      span.suppressChildSpans(["CHAT_MODEL", "LLM"]);
      expect(sdkCall()).toBe("sdk");
      expect(helper()).toBe("helper");
    });
    const [t] = await storedTraces(store());
    expect(treeOf(t!)).toEqual(["model (CHAT_MODEL) OK", "  helper (TOOL) OK"]);
  });
});

describe("updateCurrentTrace", () => {
  it("sets metadata, the client request id and previews of the running trace", async () => {
    withSpan({ name: "request" }, (span) => {
      span.setInputs({ messages: [{ role: "user", content: "hello" }] });
      updateCurrentTrace({
        metadata: { "mlflow.trace.user": "u-1", "mlflow.trace.session": "s-9" },
        clientRequestId: "req-42",
        responsePreview: "custom preview",
      });
      return "done";
    });
    const [t] = await storedTraces(store());
    expect(t!.info.clientRequestId).toBe("req-42");
    expect(t!.info.traceMetadata).toMatchObject({ "mlflow.trace.user": "u-1", "mlflow.trace.session": "s-9" });
    expect(t!.info.responsePreview).toBe("custom preview");
    expect(t!.info.requestPreview).toBe("hello");
  });

  it("refuses to run outside a span", () => {
    expect(() => updateCurrentTrace({ tags: { a: "b" } })).toThrow(/must be called inside a traced function/);
  });
});
