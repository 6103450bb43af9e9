import Anthropic from "@anthropic-ai/sdk";
import { withSpan } from "@tracewright/core";
import { spanTree, startLoopbackServer } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { STREAM_EVENTS_ATTRIBUTE } from "../src/stream.js";
import {
  API_KEY,
  messagesOf,
  onlyTrace,
  recordedResponse,
  serveRecording,
  setupAnthropicTest,
  usageOf,
} from "./helpers.js";

const { store, client } = setupAnthropicTest();

const TEXT_STREAM = "anthropic-messages-text.chunks.txt";
const TOOL_STREAM = "handwritten-anthropic-streaming-thinking-tool-use.sse";
/** The recording's 12 events less its `ping`, which the SDK does not yield. */
const STREAMED_EVENTS = 11;
const STREAMED_TEXT =
  "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?";

const params = {
  model: "claude-sonnet-4-5-20250929",
  max_tokens: 1024,
  messages: [{ role: "user" as const, content: "Hello, how are you?" }],
};

const weatherParams = {
  model: "claude-sonnet-4-6",
  max_tokens: 2048,
  thinking: { type: "enabled" as const, budget_tokens: 1024 },
  tools: [
    {
      name: "get_weather",
      description: "The weather in a city",
      input_schema: { type: "object" as const, properties: { location: { type: "string" } } },
    },
  ],
  messages: [{ role: "user" as const, content: "What is the weather in Paris?" }],
};

async function readAll(stream: AsyncIterable<Anthropic.MessageStreamEvent>): Promise<string> {
  let text = "";
  for await (const event of stream) {
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
  }
  return text;
}

describe("messages.create({ stream: true })", () => {
  it("keeps the span open until the stream is read and records the rebuilt Message and its usage", async () => {
    serveRecording(TEXT_STREAM);
    const stream = await client().messages.create({ ...params, stream: true });
    expect(stream.constructor.name).toBe("Stream");
    expect(await readAll(stream)).toBe(STREAMED_TEXT);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("Messages.create");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.outputs).toMatchObject({
      id: "msg_01QC4g3HwBThD4BaNtBckFDJ",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [{ type: "text", text: STREAMED_TEXT }],
      stop_reason: "end_turn",
    });
    // message_delta's cumulative output count replaces message_start's
    expect(usageOf(span)).toEqual({
      input_tokens: 12,
      output_tokens: 30,
      total_tokens: 42,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
    expect(messagesOf(span).at(-1)).toEqual({ role: "assistant", content: [{ type: "text", text: STREAMED_TEXT }] });
    expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(STREAMED_EVENTS);
    const first = span.events.find((e) => e.name === "first_chunk")!;
    expect(first.attributes.time_to_first_chunk_ms).toBeGreaterThanOrEqual(0);
  });

  it("rebuilds streamed thinking (with its signature), text and a tool_use input from its JSON deltas", async () => {
    serveRecording(TOOL_STREAM);
    const stream = await client().messages.create({ ...weatherParams, stream: true });
    for await (const _ of stream);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as Anthropic.Message).content).toEqual([
      {
        type: "thinking",
        thinking: "The user wants the weather in Paris. I should call get_weather.",
        signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds",
      },
      { type: "text", text: "Let me check the weather in Paris." },
      {
        type: "tool_use",
        id: "toolu_01HandWrittenParisWeather",
        name: "get_weather",
        input: { location: "Paris", unit: "celsius" },
      },
    ]);
    expect((span.outputs as Anthropic.Message).stop_reason).toBe("tool_use");
    expect(messagesOf(span).at(-1)).toEqual({
      role: "assistant",
      content: [{ type: "text", text: "Let me check the weather in Paris." }],
      tool_calls: [
        {
          id: "toolu_01HandWrittenParisWeather",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"Paris","unit":"celsius"}' },
        },
      ],
    });
    expect(usageOf(span)).toMatchObject({ input_tokens: 596, output_tokens: 87 });
  });

  it("ends the span with what arrived when the consumer breaks out early", async () => {
    serveRecording(TEXT_STREAM);
    const stream = await client().messages.create({ ...params, stream: true });
    let seen = 0;
    for await (const _ of stream) if (++seen === 5) break;
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => [e.name, e.attributes.reason])).toContainEqual(["stream_abandoned", "abandoned"]);
    expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(5);
    expect((span.outputs as Anthropic.Message).content).toEqual([
      { type: "text", text: "Hello! I'm doing well, thank you for asking" },
    ]);
  });

  it("ends the span when the caller aborts the stream, keeping what arrived", async () => {
    serveRecording(TEXT_STREAM);
    const stream = await client().messages.create({ ...params, stream: true });
    let seen = 0;
    for await (const _ of stream) {
      seen++;
      stream.controller.abort(); // the SDK still yields what it had already received
    }
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "stream_aborted"]);
    expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(seen);
    expect(span.endTimeNs).not.toBeNull();
  });

  it("observes each event once through tee(), and both branches see every event", async () => {
    serveRecording(TEXT_STREAM);
    const stream = await client().messages.create({ ...params, stream: true });
    const [left, right] = stream.tee();
    const [a, b] = await Promise.all([readAll(left), readAll(right)]);
    expect(a).toBe(STREAMED_TEXT);
    expect(b).toBe(a);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(STREAMED_EVENTS);
  });

  it("works through toReadableStream()", async () => {
    serveRecording(TEXT_STREAM);
    const stream = await client().messages.create({ ...params, stream: true });
    const text = await new Response(stream.toReadableStream()).text();
    expect(text.split("\n").filter(Boolean)).toHaveLength(STREAMED_EVENTS);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("OK");
    expect((span.outputs as Anthropic.Message).content).toEqual([{ type: "text", text: STREAMED_TEXT }]);
  });
});

describe("the messages.stream() helper", () => {
  it("keeps its events and finalMessage() working, with one span nested under the caller", async () => {
    serveRecording(TEXT_STREAM);
    const texts: string[] = [];
    const seen: string[] = [];
    const final = await withSpan({ name: "chat-turn", spanType: "CHAIN" }, async () => {
      const stream = client()
        .messages.stream(params)
        .on("connect", () => seen.push("connect"))
        .on("text", (delta) => texts.push(delta))
        .on("message", () => seen.push("message"))
        .on("end", () => seen.push("end"));
      expect(stream.constructor.name).toBe("MessageStream");
      return stream.finalMessage();
    });
    expect(texts.join("")).toBe(STREAMED_TEXT);
    expect(seen).toEqual(["connect", "message", "end"]);
    expect(final.content).toEqual([{ type: "text", text: STREAMED_TEXT }]);
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual(["chat-turn (CHAIN) OK", "  Messages.stream (CHAT_MODEL) OK"]);
    const span = t.data.spans[1]!;
    expect((span.outputs as Anthropic.Message).id).toBe(final.id);
    expect(usageOf(span)).toMatchObject({ output_tokens: final.usage.output_tokens });
    expect(t.info.tokenUsage?.total_tokens).toBe(42);
  });

  it("yields every event through async iteration, and finalText() after it", async () => {
    serveRecording(TOOL_STREAM);
    const stream = client().messages.stream(weatherParams);
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(await stream.finalText()).toBe("Let me check the weather in Paris.");
    const final = await stream.finalMessage();
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as Anthropic.Message).content).toEqual(JSON.parse(JSON.stringify(final.content)));
  });

  it("keeps withResponse() on the MessageStream", async () => {
    serveRecording(TEXT_STREAM);
    const { data, response } = await client().messages.stream(params).withResponse();
    expect(response.status).toBe(200);
    await data.done();
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("OK");
    expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(STREAMED_EVENTS);
  });

  it("ends the span with stream_aborted when the helper's abort() is called", async () => {
    serveRecording(TEXT_STREAM);
    const stream = client().messages.stream(params);
    stream.on("text", () => stream.abort());
    await expect(stream.done()).rejects.toThrow();
    expect(stream.aborted).toBe(true);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => e.name)).toContain("stream_aborted");
  });

  it("ends the span with stream_aborted when the app breaks out of iterating the MessageStream mid-reply", async () => {
    // the first events now, the rest only after a pause: the break lands while the reply streams
    const events = recordedResponse(TEXT_STREAM).body.split("\n\n").filter(Boolean);
    const server = await startLoopbackServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`${events.slice(0, 4).join("\n\n")}\n\n`);
      const rest = setTimeout(() => res.end(`${events.slice(4).join("\n\n")}\n\n`), 300);
      res.on("close", () => clearTimeout(rest));
    });
    try {
      const slow = new Anthropic({ apiKey: API_KEY, maxRetries: 0, baseURL: server.url });
      const stream = slow.messages.stream(params);
      const seen: string[] = [];
      for await (const event of stream) {
        seen.push(event.type);
        if (event.type === "content_block_delta") break;
      }
      await expect(stream.done()).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
      expect(stream.aborted).toBe(true);
      const span = (await onlyTrace(store())).data.spans[0]!;
      expect(span.name).toBe("Messages.stream");
      expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "stream_aborted"]);
      expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(seen.length);
      expect((span.outputs as Anthropic.Message).content).toEqual([{ type: "text", text: "Hello" }]);
    } finally {
      await server.close();
    }
  });
});
