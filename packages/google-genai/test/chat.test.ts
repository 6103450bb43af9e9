/**
 * chats.create(...).sendMessage / sendMessageStream: one CHAT_MODEL span per message, owning the
 * generateContent call the chat makes (no second span, usage counted once), with the conversation
 * as sent (history included), function calling and function responses; the chat's own history
 * keeps working.
 */
import { SpanAttributeKey, withSpan } from "@tracewright/core";
import { spanTree } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { messagesOf, onlyTrace, replayGemini, setupGeminiTest, usageOf, WEATHER_TOOL } from "./helpers.js";

const { store, client } = setupGeminiTest();

const GENERATE = "models/gemini-2.5-flash:generateContent";

describe("chats", () => {
  it("records each sendMessage as one span owning its model call, through a function-calling turn", async () => {
    replayGemini(GENERATE, "handwritten-gemini-function-call.json");
    replayGemini(GENERATE, "handwritten-gemini-function-response-answer.json");
    const chat = client().chats.create({ model: "gemini-2.5-flash", config: { tools: [WEATHER_TOOL] } });
    const answer = await withSpan({ name: "conversation" }, async () => {
      const call = await chat.sendMessage({ message: "What is the weather in London?" });
      expect(call.functionCalls).toEqual([{ name: "get_weather", args: { location: "London" } }]);
      const reply = await chat.sendMessage({
        message: [{ functionResponse: { name: "get_weather", response: { report: "15 degrees and raining" } } }],
      });
      return reply.text;
    });
    expect(answer).toBe("It is 15 degrees and raining in London.");
    expect(chat.getHistory().map((c) => c.role)).toEqual(["user", "model", "user", "model"]);

    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual([
      "conversation (UNKNOWN) OK",
      "  Chat.sendMessage (CHAT_MODEL) OK",
      "  Chat.sendMessage (CHAT_MODEL) OK",
    ]);
    const [, first, second] = t.data.spans;
    expect(first!.inputs).toEqual({ message: "What is the weather in London?" });
    expect(first!.getAttribute(SpanAttributeKey.MODEL)).toBe("gemini-2.5-flash");
    expect(first!.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("gemini");
    expect(first!.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "get_weather" }) }),
    ]);
    expect(first!.outputs).toMatchObject({
      candidates: [{ content: { parts: [{ functionCall: { name: "get_weather" } }] } }],
    });
    expect(usageOf(first!)).toEqual({ input_tokens: 61, output_tokens: 59, total_tokens: 120 });
    // the second turn as sent: the chat's history and the function response
    expect(messagesOf(second!).map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(messagesOf(second!)[1]!.tool_calls).toEqual([
      { id: "get_weather", type: "function", function: { name: "get_weather", arguments: '{"location":"London"}' } },
    ]);
    expect(usageOf(second!)).toMatchObject({ input_tokens: 1131, cache_read_input_tokens: 1024 });
    // usage counted once per call: the two replies' usage, no more
    expect(t.info.tokenUsage).toMatchObject({ input_tokens: 1192, output_tokens: 70, total_tokens: 1262 });
  });

  it("records sendMessageStream as one span and hands the chat its chunks (history recorded)", async () => {
    const converse = async () => {
      replayGemini("models/gemini-2.0-flash:streamGenerateContent?alt=sse", "handwritten-gemini-stream.sse");
      const chat = client().chats.create({ model: "gemini-2.0-flash" });
      let text = "";
      for await (const chunk of await chat.sendMessageStream({ message: "Why is the sky blue?" })) text += chunk.text;
      return { text, history: chat.getHistory() };
    };
    await autolog({ disable: true });
    const untraced = await converse();
    await autolog();
    const { text, history } = await converse();
    expect(text).toMatch(/^The sky looks blue because .*Rayleigh scattering\)\.\n$/);
    expect(text).toBe(untraced.text);
    // the SDK records the streamed turn in the chat's history (one entry per chunk) only once the stream ends
    expect(history).toEqual(untraced.history);
    expect(history.map((c) => c.role)).toEqual(["user", "model", "model", "model"]);

    const t = await onlyTrace(store());
    expect(t.data.spans.map((s) => s.name)).toEqual(["Chat.sendMessageStream"]);
    const span = t.data.spans[0]!;
    expect(span.getAttribute("gemini.stream.chunks")).toBe(3);
    expect(usageOf(span)).toEqual({ input_tokens: 7, output_tokens: 21, total_tokens: 28 });
    expect(messagesOf(span)).toEqual([
      { role: "user", content: "Why is the sky blue?" },
      { role: "assistant", content: text },
    ]);
  });

  it("gives a model call made inside a chat's call (not the chat's own) a span of its own, nested", async () => {
    replayGemini(GENERATE, "handwritten-gemini-function-response-answer.json");
    replayGemini(GENERATE, "handwritten-gemini-function-response-answer.json");
    const chat = client().chats.create({ model: "gemini-2.5-flash" });
    const models = client().models;
    // a CallableTool-like hook: the chat's own generateContent runs first, then a nested call in its context
    const original = models.generateContent;
    models.generateContent = async function (this: unknown, params) {
      const own = await original.call(this, params);
      await original.call(this, { model: "gemini-2.5-flash", contents: "summarise" });
      return own;
    };
    await chat.sendMessage({ message: "hi" });
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual(["Chat.sendMessage (CHAT_MODEL) OK", "  Models.generateContent (CHAT_MODEL) OK"]);
  });
});
