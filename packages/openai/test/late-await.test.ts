/**
 * A call's result is recorded whenever the user consumes it, however late: promises awaited one
 * after another, after a sleep, or through withResponse() later on. The span ends when the body
 * has been parsed, so its duration covers the wait. Against recorded HTTP.
 */
import type { Span } from "@tracewright/core";
import { readNockRecording, replayNockRecording, storedTraces } from "@tracewright/testing";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { attr, messagesOf, onlyTrace, setupOpenAITest, usageOf } from "./helpers.js";

const { store, client } = setupOpenAITest();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chatBody = (content: string) =>
  ({
    ...(readNockRecording("chat-completion-basic.json")[0]!.body as object),
    messages: [{ role: "user", content }],
  }) as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
const durationMs = (span: Span) => ((span.endTimeNs ?? 0) - span.startTimeNs) / 1e6;

function expectRecorded(span: Span, question: string) {
  expect((span.outputs as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
    "Atlantic Ocean.",
  );
  expect(usageOf(span)).toMatchObject({ total_tokens: expect.any(Number) });
  expect(messagesOf(span).map((m) => m.content)).toEqual([question, "Atlantic Ocean."]);
}

describe("a call awaited late", () => {
  it("records both calls when two promises are created first and awaited one after the other", async () => {
    replayNockRecording("chat-completion-basic.json");
    replayNockRecording("chat-completion-basic.json");
    const p1 = client().chat.completions.create(chatBody("first"));
    const p2 = client().chat.completions.create(chatBody("second"));
    await p1;
    await sleep(30);
    await p2;
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(2);
    const byQuestion = new Map(traces.map((t) => [messagesOf(t.data.spans[0]!)[0]!.content, t.data.spans[0]!]));
    expectRecorded(byQuestion.get("first")!, "first");
    expectRecorded(byQuestion.get("second")!, "second");
    expect(durationMs(byQuestion.get("second")!)).toBeGreaterThanOrEqual(25);
  });

  it("records each of 20 calls in flight at once, awaited in reverse order with pauses", async () => {
    for (let i = 0; i < 20; i++) replayNockRecording("chat-completion-basic.json");
    const questions = Array.from({ length: 20 }, (_, i) => `question ${i}`);
    const pending = questions.map((q) => client().chat.completions.create(chatBody(q)));
    for (const p of pending.reverse()) {
      await sleep(2);
      expect((await p).choices[0]!.message.content).toBe("Atlantic Ocean.");
    }
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(20);
    const spans = traces.map((t) => t.data.spans[0]!);
    expect(spans.map((s) => messagesOf(s)[0]!.content).sort()).toEqual([...questions].sort());
    for (const span of spans) expectRecorded(span, messagesOf(span)[0]!.content as string);
  });

  it("records the outputs after `await sleep(); await p`, and the span lasts until the body is parsed", async () => {
    replayNockRecording("chat-completion-basic.json");
    const p = client().chat.completions.create(chatBody("later"));
    await sleep(60);
    const reply = await p;
    expect(reply.choices[0]!.message.content).toBe("Atlantic Ocean.");
    const span = (await onlyTrace(store())).data.spans[0]!;
    expectRecorded(span, "later");
    expect(attr(span, "http.response.status_code")).toBe(200);
    expect(durationMs(span)).toBeGreaterThanOrEqual(55);
  });

  it("records the outputs of withResponse() called late", async () => {
    replayNockRecording("chat-completion-basic.json");
    const p = client().chat.completions.create(chatBody("raw and parsed"));
    await sleep(30);
    const { data, response } = await p.withResponse();
    expect(response.status).toBe(200);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { id: string }).id).toBe(data.id);
  });

  it("ends without outputs only when the raw response is taken, even late, and leaves its body unread", async () => {
    replayNockRecording("chat-completion-basic.json");
    const p = client().chat.completions.create(chatBody("raw"));
    await sleep(30);
    const raw = await p.asResponse();
    expect(raw.bodyUsed).toBe(false);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.outputs).toBeNull();
    expect(span.endTimeNs).not.toBeNull();
    expect(((await raw.json()) as { object: string }).object).toBe("chat.completion");
  });

  it("keeps a streamed call open when its promise is awaited late", async () => {
    replayNockRecording("chat-streaming-include-usage.json");
    const body = readNockRecording("chat-streaming-include-usage.json")[0]!.body as object;
    const p = client().chat.completions.create({
      ...body,
      stream: true,
    } as unknown as OpenAI.ChatCompletionCreateParamsStreaming);
    await sleep(30);
    let text = "";
    for await (const chunk of await p) text += chunk.choices[0]?.delta?.content ?? "";
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe(
      text,
    );
    expect(span.getAttribute("openai.stream.chunks")).toBeGreaterThan(2);
  });
});
