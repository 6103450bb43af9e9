import { context, trace as otelTrace } from "@opentelemetry/api";
import { SpanAttributeKey, trace } from "@tracewright/core";
import { defineIntegration } from "@tracewright/core/instrumentation";
import { spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { afterEach, describe, expect, it } from "vitest";
import * as otelGenAi from "../src/index.js";

/** What a GenAI instrumentation does: OpenTelemetry API calls only. */
const tracer = new otelGenAi.TracewrightTracerProvider().getTracer("some-genai-instrumentation", "1.0.0");

describe("spans of any instrumentation that follows the GenAI conventions", () => {
  const store = useRecordedHttpStore();

  it("become typed spans with chat messages, tools and token usage", async () => {
    await trace(async function assistant() {
      await tracer.startActiveSpan(
        "chat claude-sonnet-4-5",
        {
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4-5",
            "gen_ai.request.max_tokens": 1024,
            "gen_ai.system_instructions": JSON.stringify([{ type: "text", content: "Be brief." }]),
            "gen_ai.input.messages": JSON.stringify([
              { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] },
            ]),
            "gen_ai.tool.definitions": JSON.stringify([
              { type: "function", name: "get_weather", description: "Weather", parameters: { type: "object" } },
            ]),
          },
        },
        async (span) => {
          span.setAttributes({
            "gen_ai.response.model": "claude-sonnet-4-5-20250929",
            "gen_ai.response.finish_reasons": ["tool_call"],
            "gen_ai.usage.input_tokens": 40,
            "gen_ai.usage.output_tokens": 12,
            "gen_ai.usage.cache_read.input_tokens": 30,
            "gen_ai.output.messages": JSON.stringify([
              {
                role: "assistant",
                parts: [
                  { type: "text", content: "Checking." },
                  { type: "tool_call", id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } },
                ],
                finish_reason: "tool_call",
              },
            ]),
          });
          span.end();
        },
      );
      const toolSpan = tracer.startSpan(
        "execute_tool get_weather",
        {
          attributes: {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.arguments": '{"city":"Paris"}',
          },
        },
        context.active(),
      );
      toolSpan.setAttribute("gen_ai.tool.call.result", '{"celsius":21}');
      toolSpan.end();
      const retrieval = tracer.startSpan("retrieval docs", { attributes: { "gen_ai.operation.name": "retrieval" } });
      retrieval.end();
      const http = tracer.startSpan("GET /health");
      http.setAttribute("http.response.status_code", 200);
      http.end();
    })();

    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "assistant (UNKNOWN) OK",
      "  chat claude-sonnet-4-5 (CHAT_MODEL) OK",
      "  execute_tool get_weather (TOOL) OK",
      "  retrieval docs (RETRIEVER) OK",
      "  GET /health (UNKNOWN) OK",
    ]);
    const [, chat, tool, , http] = t!.data.spans;
    expect(chat!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
    ]);
    expect(chat!.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      { type: "function", function: { name: "get_weather", description: "Weather", parameters: { type: "object" } } },
    ]);
    expect(chat!.getAttribute(SpanAttributeKey.CHAT_USAGE)).toEqual({
      input_tokens: 40,
      output_tokens: 12,
      total_tokens: 52,
      cache_read_input_tokens: 30,
    });
    expect(chat!.getAttribute(SpanAttributeKey.MODEL)).toBe("claude-sonnet-4-5-20250929");
    expect(chat!.getAttribute(SpanAttributeKey.PROVIDER)).toBe("anthropic");
    expect(chat!.inputs).toMatchObject({ max_tokens: 1024, model: "claude-sonnet-4-5" });
    // the payloads became messages and tools: they are not stored a second time as text
    expect(chat!.getAttribute("gen_ai.input.messages")).toBeUndefined();
    expect(tool!.inputs).toEqual({ city: "Paris" });
    expect(tool!.outputs).toEqual({ celsius: 21 });
    expect(http!.getAttribute("http.response.status_code")).toBe(200);
    expect(t!.info.tokenUsage).toMatchObject({ input_tokens: 40, output_tokens: 12, total_tokens: 52 });
  });

  it("hand out non-recording spans while tracing is disabled, and record again afterwards", async () => {
    const { disableTracing, enableTracing } = await import("@tracewright/core");
    disableTracing();
    try {
      const span = tracer.startSpan("chat off", { attributes: { "gen_ai.operation.name": "chat" } });
      expect(span.isRecording()).toBe(false);
      span.end();
    } finally {
      enableTracing();
    }
    tracer.startSpan("chat on", { attributes: { "gen_ai.operation.name": "chat" } }).end();
    const traces = await storedTraces(store());
    expect(traces.map((t) => t.data.spans[0]!.name)).toEqual(["chat on"]);
  });

  it("keep the start time an instrumentation reports after the fact", async () => {
    const started = new Date(Date.now() - 5000);
    tracer.startSpan("chat earlier", { startTime: started, attributes: { "gen_ai.operation.name": "chat" } }).end();
    const [t] = await storedTraces(store());
    expect(t!.data.spans[0]!.startTimeNs).toBe(started.getTime() * 1e6);
  });

  it("start a new trace for a span asked to be a root, even inside another span", async () => {
    await trace(async function outer() {
      tracer.startSpan("chat detached", { root: true, attributes: { "gen_ai.operation.name": "chat" } }).end();
    })();
    const traces = await storedTraces(store());
    expect(traces.map((t) => spanTree(t))).toEqual(
      expect.arrayContaining([["outer (UNKNOWN) OK"], ["chat detached (CHAT_MODEL) OK"]]),
    );
    expect(otelTrace.getSpan(context.active())).toBeUndefined();
  });
});

describe("a tracer opening its spans through an integration (defineIntegration's startSpan)", () => {
  const store = useRecordedHttpStore();
  const integration = defineIntegration({ name: "otel-genai-test", modules: [] });
  const integrationTracer = new otelGenAi.TracewrightTracer({ startSpan: integration.startSpan });
  const chat = () =>
    integrationTracer.startActiveSpan(
      "chat gpt-4o-mini",
      {
        attributes: {
          "gen_ai.operation.name": "chat",
          "gen_ai.input.messages": JSON.stringify([{ role: "user", parts: [{ type: "text", content: "My secret" }] }]),
        },
      },
      (span) => {
        span.setAttributes({
          "gen_ai.usage.input_tokens": 3,
          "gen_ai.usage.output_tokens": 2,
          "gen_ai.output.messages": JSON.stringify([
            { role: "assistant", parts: [{ type: "text", content: "Secret answer" }] },
          ]),
        });
        span.end();
      },
    );
  afterEach(() => integration.autolog({ disable: true }));

  it("records nothing while the integration is off", async () => {
    chat();
    expect(await storedTraces(store())).toEqual([]);
  });

  it("applies the integration's redactor to every converted field", async () => {
    await integration.autolog({ redact: (value) => JSON.parse(JSON.stringify(value).replaceAll("ecret", "****")) });
    chat();
    const [t] = await storedTraces(store());
    const stored = JSON.stringify(t!.data.spans[0]!.toDict());
    expect(stored).not.toContain("ecret");
    expect(t!.data.spans[0]!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "user", content: "My s****" },
      { role: "assistant", content: "S**** answer" },
    ]);
  });

  it("keeps structure and usage but no message text with recordContent: false", async () => {
    await integration.autolog({ recordContent: false });
    chat();
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(JSON.stringify(span.toDict())).not.toContain("ecret");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([{ role: "user" }, { role: "assistant" }]);
    expect(t!.info.tokenUsage).toEqual({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
  });
});

describe("convertGenAiSpan with an instrumentation's extension", () => {
  const extension: otelGenAi.GenAiSpanExtension = {
    payloadKeys: new Set(["acme.texts"]),
    complete(converted, operation, attributes) {
      if (operation === "embeddings") converted.inputs = { input: attributes["acme.texts"] };
    },
  };

  it("converts the instrumentation's payload attributes and does not keep them as attributes", () => {
    const attributes = {
      "gen_ai.operation.name": "embeddings",
      "gen_ai.request.model": "text-embedding-3-small",
      "gen_ai.usage.input_tokens": 8,
      "acme.texts": ["sunny", "rainy"],
    };
    const converted = otelGenAi.convertGenAiSpan(attributes, { extension });
    expect(converted.spanType).toBe("EMBEDDING");
    expect(converted.inputs).toEqual({ input: ["sunny", "rainy"] });
    expect(converted.attributes["acme.texts"]).toBeUndefined();
    expect(converted.usage).toEqual({ input_tokens: 8, output_tokens: 0, total_tokens: 8 });
    // without it, the conventions alone: the attribute stays as it is
    expect(otelGenAi.convertGenAiSpan(attributes).attributes["acme.texts"]).toEqual(["sunny", "rainy"]);
  });
});
