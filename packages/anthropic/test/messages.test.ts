import type Anthropic from "@anthropic-ai/sdk";
import { SpanAttributeKey, trace, withSpan } from "@tracewright/core";
import { spanTree, storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import {
  attr,
  messagesOf,
  onlyTrace,
  recordedRequest,
  recordedResponse,
  serveRecording,
  setupAnthropicTest,
  usageOf,
} from "./helpers.js";

const { store, client } = setupAnthropicTest();

const SYSTEM_PROMPT = "anthropic-system-prompt.har";
const JOKE = "anthropic-messages-joke.har";

describe("messages.create", () => {
  it("records a CHAT_MODEL span with the raw request and Message, chat messages, usage and model", async () => {
    serveRecording(JOKE);
    const params = recordedRequest(JOKE) as unknown as Anthropic.MessageCreateParamsNonStreaming;
    const message = await client().messages.create(params);
    expect(message.content[0]!.type).toBe("text");
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(span.name).toBe("Messages.create");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.inputs).toEqual(params);
    expect(span.outputs).toEqual(JSON.parse(recordedResponse(JOKE).body));
    expect(attr(span, SpanAttributeKey.MESSAGE_FORMAT)).toBe("anthropic");
    expect(attr(span, SpanAttributeKey.PROVIDER)).toBe("anthropic");
    expect(attr(span, SpanAttributeKey.MODEL)).toBe("claude-3-opus-20240229");
    expect(attr(span, "max_tokens")).toBe(1024);
    expect(attr(span, "http.response.status_code")).toBe(200);
    expect(usageOf(span)).toEqual({
      input_tokens: 17,
      output_tokens: 137,
      total_tokens: 154,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    const text = (message.content[0] as Anthropic.TextBlock).text;
    expect(messagesOf(span)).toEqual([
      { role: "user", content: "Tell me a joke about OpenTelemetry" },
      { role: "assistant", content: [{ type: "text", text }] },
    ]);
    expect(t.info.tokenUsage).toMatchObject({ input_tokens: 17, output_tokens: 137, total_tokens: 154 });
    expect(t.info.requestPreview).toBe("Tell me a joke about OpenTelemetry");
  });

  it("puts the system prompt first in the chat messages and keeps it as a request attribute", async () => {
    serveRecording(SYSTEM_PROMPT);
    const params = recordedRequest(SYSTEM_PROMPT) as unknown as Anthropic.MessageCreateParamsNonStreaming;
    await client().messages.create(params);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(messagesOf(span)).toEqual([
      { role: "system", content: "You are a helpful assistant" },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello" },
      { role: "assistant", content: [{ type: "text", text: "! How can I assist you today?" }] },
    ]);
    expect(attr(span, "system")).toBe("You are a helpful assistant");
    expect((span.outputs as { stop_reason: string }).stop_reason).toBe("max_tokens");
  });

  it("counts cache reads and writes in input_tokens and keeps them under MLflow's cache keys", async () => {
    serveRecording("handwritten-anthropic-cached-prompt.json");
    await client().messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      system: [{ type: "text", text: "<the contract>", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "When does it renew?" }],
    });
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(usageOf(span)).toEqual({
      input_tokens: 21 + 2048 + 188,
      output_tokens: 9,
      total_tokens: 21 + 2048 + 188 + 9,
      cache_read_input_tokens: 2048,
      cache_creation_input_tokens: 188,
    });
    expect(t.info.tokenUsage).toMatchObject({ cache_read_input_tokens: 2048, cache_creation_input_tokens: 188 });
    expect(messagesOf(span)[0]).toEqual({ role: "system", content: [{ type: "text", text: "<the contract>" }] });
  });

  it("nests under a traced function and a withSpan block, and sums the trace's usage", async () => {
    serveRecording(JOKE);
    serveRecording(JOKE);
    const ask = trace(
      async (q: string) => {
        const r = await client().messages.create({
          model: "claude-3-opus-20240229",
          max_tokens: 1024,
          messages: [{ role: "user", content: q }],
        });
        return r.content;
      },
      { name: "ask", spanType: "CHAIN" },
    );
    await withSpan({ name: "session", spanType: "AGENT" }, async () => {
      await ask("q1");
      await ask("q2");
    });
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual([
      "session (AGENT) OK",
      "  ask (CHAIN) OK",
      "    Messages.create (CHAT_MODEL) OK",
      "  ask (CHAIN) OK",
      "    Messages.create (CHAT_MODEL) OK",
    ]);
    expect(t.info.tokenUsage?.total_tokens).toBe(2 * 154);
  });

  it("starts a trace of its own for a call outside any span", async () => {
    serveRecording(JOKE);
    serveRecording(JOKE);
    const params = recordedRequest(JOKE) as unknown as Anthropic.MessageCreateParamsNonStreaming;
    await client().messages.create(params);
    await client().messages.create(params);
    const traces = await storedTraces(store());
    expect(traces.map((t) => spanTree(t))).toEqual([
      ["Messages.create (CHAT_MODEL) OK"],
      ["Messages.create (CHAT_MODEL) OK"],
    ]);
  });

  it("returns the SDK's own APIPromise: withResponse() keeps working and the span records the Message", async () => {
    serveRecording(JOKE);
    const promise = client().messages.create(recordedRequest(JOKE) as never);
    expect(promise.constructor.name).toBe("APIPromise");
    const { data, response, request_id } = await promise.withResponse();
    expect(response.status).toBe(200);
    expect(request_id).toBeNull(); // the replayed response carries no request-id header
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { id: string }).id).toBe((data as Anthropic.Message).id);
  });

  it("leaves the body unread for asResponse() users and still ends the span", async () => {
    serveRecording(JOKE);
    const raw = await client()
      .messages.create(recordedRequest(JOKE) as never)
      .asResponse();
    expect(raw.bodyUsed).toBe(false);
    const json = (await raw.json()) as { id: string };
    expect(json.id).toBe("msg_01ABEG1nJ4BqCbQR4BUANnCB");
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("OK");
    expect(attr(span, "http.response.status_code")).toBe(200);
    expect(span.outputs).toBeNull();
  });

  it("keeps the method's name and the SDK's _request_id on the returned Message", async () => {
    serveRecording(JOKE);
    expect(client().messages.create.name).toBe("create");
    const message = await client().messages.create(recordedRequest(JOKE) as never);
    expect(Object.hasOwn(message, "_request_id")).toBe(true);
  });
});

describe("messages.countTokens", () => {
  it("records an UNKNOWN span with the count as outputs and no token usage", async () => {
    serveRecording("handwritten-anthropic-count-tokens.json", { path: "/v1/messages/count_tokens" });
    const params = { model: "claude-sonnet-4-6", messages: [{ role: "user" as const, content: "Hi" }] };
    const count = await client().messages.countTokens(params);
    expect(count.input_tokens).toBe(14);
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(spanTree(t)).toEqual(["Messages.countTokens (UNKNOWN) OK"]);
    expect(span.inputs).toEqual(params);
    expect(span.outputs).toEqual({ input_tokens: 14 });
    expect(usageOf(span)).toBeUndefined();
    expect(t.info.tokenUsage).toBeNull();
  });
});
