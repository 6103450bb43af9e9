/**
 * models.generateContent against recorded Gemini traffic (the real API's reply to
 * `gemini-1.5-flash`), and hand-written function-call, cached-token and error bodies: span
 * name and type, raw inputs and outputs, usage from usageMetadata, MLflow's chat attributes, and
 * the response handed back untouched (its getters work).
 */
import { ApiError, type CallableTool, GenerateContentResponse, GoogleGenAI } from "@google/genai";
import { SpanAttributeKey, withSpan } from "@tracewright/core";
import { harResponseText, nock, readHar, spanTree, startLoopbackServer } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import {
  API_KEY,
  messagesOf,
  onlyTrace,
  recordedRequest,
  replayGemini,
  replayRecordedGenerate,
  setupGeminiTest,
  usageOf,
  WEATHER_TOOL,
} from "./helpers.js";

const { store, client } = setupGeminiTest();

describe("models.generateContent", () => {
  it("records a CHAT_MODEL span with the raw request and response, usage and messages", async () => {
    const scopes = replayRecordedGenerate();
    const request = { model: "gemini-1.5-flash", contents: recordedRequest().contents[0]!.parts[0]!.text };
    const response = await client().models.generateContent(request);
    expect(scopes[0]!.isDone()).toBe(true);
    expect(response).toBeInstanceOf(GenerateContentResponse);
    expect(response.text).toBe("4\n");

    const span = (await onlyTrace(store())).data.spans[0]!;
    expect([span.name, span.spanType, span.status.statusCode]).toEqual(["Models.generateContent", "CHAT_MODEL", "OK"]);
    expect(span.inputs).toEqual(request);
    expect(span.outputs).toMatchObject({
      candidates: [{ content: { parts: [{ text: "4\n" }], role: "model" }, finishReason: "STOP" }],
      modelVersion: "gemini-1.5-flash",
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 2, totalTokenCount: 14 },
    });
    expect(span.outputs).not.toHaveProperty("sdkHttpResponse");
    expect(usageOf(span)).toEqual({ input_tokens: 12, output_tokens: 2, total_tokens: 14 });
    expect(span.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("gemini");
    expect(span.getAttribute(SpanAttributeKey.PROVIDER)).toBe("gemini");
    expect(span.getAttribute(SpanAttributeKey.MODEL)).toBe("gemini-1.5-flash");
    expect(messagesOf(span)).toEqual([
      { role: "user", content: "What is 2+2? Give a brief answer." },
      { role: "assistant", content: "4\n" },
    ]);
  });

  it("records function calls, tools, thinking tokens as output and cached tokens as cache reads", async () => {
    replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-function-call.json");
    replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-function-response-answer.json");
    const config = { tools: [WEATHER_TOOL], temperature: 0 };
    const question = { role: "user", parts: [{ text: "What is the weather in London?" }] };
    const { first, second } = await withSpan({ name: "turns" }, async () => {
      const first = await client().models.generateContent({ model: "gemini-2.5-flash", contents: [question], config });
      expect(first.functionCalls).toEqual([{ name: "get_weather", args: { location: "London" } }]);
      const second = await client().models.generateContent({
        model: "gemini-2.5-flash",
        contents: [
          question,
          first.candidates![0]!.content!,
          {
            role: "user",
            parts: [{ functionResponse: { name: "get_weather", response: { report: "15 degrees and raining" } } }],
          },
        ],
        config,
      });
      return { first, second };
    });
    expect(second.text).toBe("It is 15 degrees and raining in London.");
    expect(first.functionCalls).toHaveLength(1);

    const t = await onlyTrace(store());
    const [, call, answer] = t.data.spans;
    expect(call!.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "The current weather at a location",
          parameters: {
            type: "object",
            properties: { location: { type: "string", description: "A city" } },
            required: ["location"],
          },
        },
      },
    ]);
    expect(call!.getAttribute("temperature")).toBe(0);
    // 15 candidates + 44 thinking tokens: what Google bills as output
    expect(usageOf(call!)).toEqual({ input_tokens: 61, output_tokens: 59, total_tokens: 120 });
    expect(messagesOf(call!).at(-1)).toEqual({
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "get_weather", type: "function", function: { name: "get_weather", arguments: '{"location":"London"}' } },
      ],
    });
    expect(usageOf(answer!)).toEqual({
      input_tokens: 1131,
      output_tokens: 11,
      total_tokens: 1142,
      cache_read_input_tokens: 1024,
    });
    expect(messagesOf(answer!).map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(messagesOf(answer!)[2]).toEqual({
      role: "tool",
      tool_call_id: "get_weather",
      name: "get_weather",
      content: '{"report":"15 degrees and raining"}',
    });
    expect(t.info.tokenUsage).toMatchObject({ input_tokens: 1192, output_tokens: 70, total_tokens: 1262 });
  });

  it("records automatic function calling with a CallableTool as one span, the tool's span nested", async () => {
    replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-function-call.json");
    replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-function-response-answer.json");
    const weather: CallableTool = {
      tool: async () => WEATHER_TOOL,
      callTool: (calls) =>
        withSpan({ name: "get_weather", spanType: "TOOL" }, async () =>
          calls.map((c) => ({
            functionResponse: { name: String(c.name), response: { report: "15 degrees and raining" } },
          })),
        ),
    };
    const response = await client().models.generateContent({
      model: "gemini-2.5-flash",
      contents: "What is the weather in London?",
      config: { tools: [weather] },
    });
    expect(response.text).toBe("It is 15 degrees and raining in London.");
    expect(response.automaticFunctionCallingHistory).toHaveLength(3);
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual(["Models.generateContent (CHAT_MODEL) OK", "  get_weather (TOOL) OK"]);
    // the SDK returns the final response: its usage is the span's
    expect(usageOf(t.data.spans[0]!)).toMatchObject({ input_tokens: 1131, total_tokens: 1142 });
    expect(nock.isDone()).toBe(true);
  });

  it("names the provider vertex_ai for a Vertex AI client", async () => {
    const reply = harResponseText(readHar("gemini-generate-content.har")[0]!);
    const paths: string[] = [];
    const server = await startLoopbackServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(reply);
    });
    try {
      const vertex = new GoogleGenAI({ vertexai: true, apiKey: API_KEY, httpOptions: { baseUrl: server.url } });
      const response = await vertex.models.generateContent({ model: "gemini-1.5-flash", contents: "What is 2+2?" });
      expect(response.text).toBe("4\n");
    } finally {
      await server.close();
    }
    expect(paths).toEqual([expect.stringContaining("gemini-1.5-flash:generateContent")]);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.getAttribute(SpanAttributeKey.PROVIDER)).toBe("vertex_ai");
    expect(usageOf(span)).toEqual({ input_tokens: 12, output_tokens: 2, total_tokens: 14 });
  });

  it("never breaks the call when reading the request fails (a config getter that throws, which the SDK never reads)", async () => {
    replayRecordedGenerate();
    const config = { temperature: 0 };
    Object.defineProperty(config, "appHint", {
      enumerable: true,
      get() {
        throw new Error("not for tracing");
      },
    });
    const response = await client().models.generateContent({
      model: "gemini-1.5-flash",
      contents: "What is 2+2?",
      config,
    });
    expect(response.text).toBe("4\n");
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("Models.generateContent");
    expect(usageOf(span)).toEqual({ input_tokens: 12, output_tokens: 2, total_tokens: 14 });
  });

  it("records the error and rethrows the SDK's own ApiError unchanged", async () => {
    replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-error-429.json", 429);
    let thrown: unknown;
    try {
      await client().models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(429);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.getAttribute("http.response.status_code")).toBe(429);
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
    expect(String(span.events[0]!.attributes["exception.message"])).toContain("RESOURCE_EXHAUSTED");
    expect(nock.isDone()).toBe(true);
  });

  it("leaves a client's own methods as the SDK made them when autolog was off at its creation", async () => {
    const { autolog } = await import("../src/index.js");
    await autolog({ disable: true });
    const { GoogleGenAI } = await import("@google/genai");
    const untraced = new GoogleGenAI({ apiKey: "k" });
    await autolog();
    expect(Object.getOwnPropertyDescriptor(untraced.models, "generateContent")).toMatchObject({
      writable: true,
      enumerable: true,
      configurable: true,
    });
    const ours = Symbol.for("tracewright.google-genai.original");
    expect(Object.hasOwn(untraced.models.generateContent, ours)).toBe(false);
    expect(Object.hasOwn(client().models.generateContent, ours)).toBe(true);
  });
});
