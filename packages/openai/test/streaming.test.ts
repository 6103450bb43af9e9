import { SpanAttributeKey, withSpan } from "@tracewright/core";
import { readNockRecording, readRecordingText, replayBody, replayNockRecording, spanTree } from "@tracewright/testing";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { messagesOf, onlyTrace, setupOpenAITest, usageOf } from "./helpers.js";

const { store, client } = setupOpenAITest();

const firstBody = (name: string) => readNockRecording(name)[0]!.body as Record<string, unknown>;
/** The recorded request, as streaming chat params. */
const streamParams = (name: string) =>
  ({ ...firstBody(name), stream: true }) as unknown as OpenAI.ChatCompletionCreateParamsStreaming;

async function collectText(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>) {
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  return text;
}

describe("streamed chat completions", () => {
  it("keeps the span open until the stream is consumed and records the aggregated output and usage", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const stream = await client().chat.completions.create(streamParams("chat-streaming-include-usage.json"));
    expect(stream.constructor.name).toBe("Stream");
    const text = await collectText(stream);
    expect(text.length).toBeGreaterThan(0);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.spanType).toBe("CHAT_MODEL");
    const outputs = span.outputs as {
      object: string;
      choices: Array<{ message: { content: string }; finish_reason: string }>;
    };
    expect(outputs.object).toBe("chat.completion");
    expect(outputs.choices[0]!.message.content).toBe(text);
    expect(outputs.choices[0]!.finish_reason).toBe("stop");
    const usage = usageOf(span) as { input_tokens: number; output_tokens: number; total_tokens: number };
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(messagesOf(span).at(-1)).toEqual({ role: "assistant", content: text });
    const first = span.events.find((e) => e.name === "first_chunk")!;
    expect(first.attributes.time_to_first_chunk_ms).toBeGreaterThanOrEqual(0);
    expect(span.getAttribute("openai.stream.chunks")).toBeGreaterThan(2);
  });

  it("records no usage when the server sends no usage chunk, without changing the request", async () => {
    const scopes = replayNockRecording("chat-streaming-no-usage.json");
    const stream = await client().chat.completions.create(streamParams("chat-streaming-no-usage.json"));
    await collectText(stream);
    expect(scopes.every((s) => s.isDone())).toBe(true);
    const t = await onlyTrace(store());
    expect(usageOf(t.data.spans[0]!)).toBeUndefined();
    expect((t.data.spans[0]!.inputs as Record<string, unknown>).stream_options).toBeUndefined();
  });

  it("aggregates a streamed tool call's argument deltas", async () => {
    replayNockRecording("elastic-chat-streaming-tool-call.json");
    const stream = await client().chat.completions.create(streamParams("elastic-chat-streaming-tool-call.json"));
    for await (const _ of stream as AsyncIterable<unknown>);
    const span = (await onlyTrace(store())).data.spans[0]!;
    const message = (span.outputs as { choices: Array<{ message: { tool_calls: unknown[] } }> }).choices[0]!.message;
    expect(message.tool_calls).toEqual([
      {
        id: "call_5CHeMESVhk3E23kwKzTFuGlZ",
        type: "function",
        function: { name: "get_delivery_date", arguments: '{"order_id":"order_12345"}' },
      },
    ]);
    expect(span.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toHaveLength(1);
  });

  it("aggregates interleaved parallel tool calls (hand-written SSE fixture)", async () => {
    replayBody({
      path: "/v1/chat/completions",
      body: readRecordingText("handwritten-chat-streaming-parallel-tool-calls.sse"),
    });
    const stream = await client().chat.completions.create({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    });
    for await (const _ of stream);
    const span = (await onlyTrace(store())).data.spans[0]!;
    const choice = (span.outputs as { choices: Array<{ message: { tool_calls: unknown[] }; finish_reason: string }> })
      .choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls).toEqual([
      {
        id: "call_weather_paris",
        type: "function",
        function: { name: "get_weather", arguments: '{"location": "Paris"}' },
      },
      {
        id: "call_weather_tokyo",
        type: "function",
        function: { name: "get_weather", arguments: '{"location": "Tokyo"}' },
      },
    ]);
    expect(usageOf(span)).toEqual({
      input_tokens: 82,
      output_tokens: 46,
      total_tokens: 128,
      cache_read_input_tokens: 64,
    });
  });

  it("observes each chunk once through tee(), and both branches see every chunk", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const stream = await client().chat.completions.create(streamParams("chat-streaming-include-usage.json"));
    const [left, right] = (stream as unknown as { tee(): [AsyncIterable<never>, AsyncIterable<never>] }).tee();
    const [a, b] = await Promise.all([collectText(left), collectText(right)]);
    expect(a).toBe(b);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(a);
  });

  it("works through toReadableStream()", async () => {
    replayNockRecording("chat-streaming-no-usage.json");
    const stream = await client().chat.completions.create(streamParams("chat-streaming-no-usage.json"));
    const readable = (stream as unknown as { toReadableStream(): ReadableStream<Uint8Array> }).toReadableStream();
    const text = await new Response(readable).text();
    expect(text.split("\n").filter(Boolean).length).toBeGreaterThan(2);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("OK");
    expect((span.outputs as { choices: unknown[] }).choices).toHaveLength(1);
  });

  it("ends the span with the partial output when the consumer breaks out early", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const stream = await client().chat.completions.create(streamParams("chat-streaming-include-usage.json"));
    let seen = 0;
    for await (const _ of stream as AsyncIterable<unknown>) {
      if (++seen === 2) break;
    }
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => e.name)).toContain("stream_abandoned");
    expect(span.getAttribute("openai.stream.chunks")).toBe(2);
  });

  it("ends the span when the caller aborts the stream, keeping what arrived", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const stream = await client().chat.completions.create(streamParams("chat-streaming-include-usage.json"));
    let seen = 0;
    for await (const _ of stream as AsyncIterable<unknown>) {
      seen++;
      (stream as unknown as { controller: AbortController }).controller.abort();
    }
    expect(seen).toBe(1);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "stream_aborted"]);
    expect(span.getAttribute("openai.stream.chunks")).toBe(1);
    expect(span.endTimeNs).not.toBeNull();
  });

  it("traces the chat.completions.stream() helper and nests it under the caller", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const final = await withSpan({ name: "chat-turn", spanType: "CHAIN" }, async () => {
      const runner = client().chat.completions.stream(streamParams("chat-streaming-include-usage.json"));
      return runner.finalChatCompletion();
    });
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual(["chat-turn (CHAIN) OK", "  Completions (CHAT_MODEL) OK"]);
    const span = t.data.spans[1]!;
    expect((span.outputs as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
      final.choices[0]!.message.content,
    );
  });
});
