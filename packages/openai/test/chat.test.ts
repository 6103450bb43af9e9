import { SpanAttributeKey, trace, withSpan } from "@tracewright/core";
import { readNockRecording, replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { attr, messagesOf, onlyTrace, setupOpenAITest, usageOf } from "./helpers.js";

const { store, client } = setupOpenAITest();

describe("chat.completions.create", () => {
  it("records a CHAT_MODEL span with inputs, outputs, messages, token usage and model", async () => {
    replayNockRecording("chat-completion-basic.json");
    const params = {
      model: "gpt-4o-mini",
      messages: [{ role: "user" as const, content: "Answer in up to 3 words: Which ocean contains Bouvet Island?" }],
    };
    const response = await client().chat.completions.create(params);
    expect(response.choices[0]!.message.content).toBe("Atlantic Ocean.");
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(span.name).toBe("Completions");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.inputs).toEqual(params);
    expect(span.outputs).toEqual(JSON.parse(JSON.stringify(response)));
    expect(attr(span, "model")).toBe("gpt-4o-mini");
    expect(attr(span, SpanAttributeKey.MODEL)).toBe("gpt-4o-mini-2024-07-18");
    expect(attr(span, SpanAttributeKey.MESSAGE_FORMAT)).toBe("openai");
    expect(attr(span, "http.response.status_code")).toBe(200);
    expect(usageOf(span)).toEqual({ input_tokens: 22, output_tokens: 3, total_tokens: 25, cache_read_input_tokens: 0 });
    expect(messagesOf(span)).toEqual([
      params.messages[0],
      { role: "assistant", content: "Atlantic Ocean.", refusal: null, annotations: [] },
    ]);
    expect(t.info.tokenUsage).toEqual({
      input_tokens: 22,
      output_tokens: 3,
      total_tokens: 25,
      cache_read_input_tokens: 0,
    });
    expect(t.info.requestPreview).toBe("Answer in up to 3 words: Which ocean contains Bouvet Island?");
    expect(t.info.responsePreview).toBe("Atlantic Ocean.");
  });

  it("records the request's tools and the response's parallel tool calls", async () => {
    const [first] = readNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    replayNockRecording("chat-completion-parallel-tool-calls-two-turns.json");
    const body = first!.body as { model: string; messages: never[]; tools: never[] };
    const response = await client().chat.completions.create(body);
    const calls = response.choices[0]!.message.tool_calls!;
    expect(calls.length).toBeGreaterThan(1);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual(body.tools);
    const last = messagesOf(span).at(-1)!;
    expect(last.role).toBe("assistant");
    expect((last.tool_calls as Array<{ id: string }>).map((c) => c.id)).toEqual(calls.map((c) => c.id));
  });

  it("nests under a traced function and a withSpan block", async () => {
    replayNockRecording("chat-completion-basic.json");
    replayNockRecording("chat-completion-basic.json");
    const ask = trace(
      async (q: string) => {
        const r = await client().chat.completions.create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: q }],
        });
        return r.choices[0]!.message.content;
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
      "    Completions (CHAT_MODEL) OK",
      "  ask (CHAIN) OK",
      "    Completions (CHAT_MODEL) OK",
    ]);
    expect(t.info.tokenUsage?.total_tokens).toBe(50);
  });

  it("starts a trace of its own for a call outside any span", async () => {
    replayNockRecording("chat-completion-basic.json");
    replayNockRecording("chat-completion-basic.json");
    await client().chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "a" }] });
    await client().chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "b" }] });
    const traces = await storedTraces(store());
    expect(traces.map((t) => spanTree(t))).toEqual([["Completions (CHAT_MODEL) OK"], ["Completions (CHAT_MODEL) OK"]]);
  });

  it("returns openai's own APIPromise: withResponse() and asResponse() keep working", async () => {
    replayNockRecording("chat-completion-basic.json");
    const promise = client().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x" }],
    });
    expect(promise.constructor.name).toBe("APIPromise");
    const { data, response } = await promise.withResponse();
    expect(data.choices[0]!.message.content).toBe("Atlantic Ocean.");
    expect(response.status).toBe(200);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { id: string }).id).toBe(data.id);
  });

  it("leaves the body unread for asResponse() users and still ends the span", async () => {
    replayNockRecording("chat-completion-basic.json");
    const raw = await client()
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] })
      .asResponse();
    const json = (await raw.json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content).toBe("Atlantic Ocean.");
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("OK");
    expect(attr(span, "http.response.status_code")).toBe(200);
    expect(span.outputs).toBeNull();
  });

  it("traces chat.completions.parse() through create()", async () => {
    replayNockRecording("chat-completion-basic.json");
    const parsed = await client().chat.completions.parse({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Answer in up to 3 words: Which ocean contains Bouvet Island?" }],
    });
    expect(parsed.choices[0]!.message.content).toBe("Atlantic Ocean.");
    expect(spanTree(await onlyTrace(store()))).toEqual(["Completions (CHAT_MODEL) OK"]);
  });
});
