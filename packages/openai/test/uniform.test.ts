/**
 * The kit's uniform behaviour, as every Tracewright integration has it, for openai: idempotent
 * autolog, `disable` putting back the very original methods, `recordContent: false` keeping no
 * prompt or answer text on any endpoint, and `redact` applied to every span (chat messages,
 * streams, embeddings, traced clients) with recorded HTTP.
 */
import { withSpan } from "@tracewright/core";
import { readHar, readNockRecording, replayHar, replayNockRecording, storedTraces } from "@tracewright/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { autolog, traced } from "../src/index.js";
import { API_KEY, messagesOf, onlyTrace, setupOpenAITest, usageOf } from "./helpers.js";

const { store, client } = setupOpenAITest();

const ORIGINAL = Symbol.for("tracewright.openai.original");
type Create = { [ORIGINAL]?: unknown };
const resources = OpenAI as unknown as Record<string, { prototype: { create: Create } }> & {
  Chat: { Completions: { prototype: { create: Create } } };
};
const prototypes = () => [
  resources.Chat.Completions.prototype,
  resources.Completions!.prototype,
  resources.Embeddings!.prototype,
  resources.Responses!.prototype,
];

const body = (recording: string) => readNockRecording(recording)[0]!.body as never;
const chatBody = () => body("chat-completion-basic.json");

/** One call per endpoint (chat, streamed chat, responses, embeddings, legacy completion), each consumed. */
async function callEveryEndpoint(c: OpenAI): Promise<string[]> {
  const answers: string[] = [];
  replayNockRecording("chat-completion-basic.json");
  answers.push(String((await c.chat.completions.create(chatBody())).choices[0]!.message.content));
  replayNockRecording("chat-streaming-include-usage.json");
  let streamed = "";
  const stream = (await c.chat.completions.create(
    body("chat-streaming-include-usage.json"),
  )) as unknown as AsyncIterable<{
    choices: Array<{ delta?: { content?: string } }>;
  }>;
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
  answers.push(streamed);
  replayNockRecording("responses-basic.json");
  answers.push((await c.responses.create(body("responses-basic.json"))).output_text);
  replayNockRecording("embeddings-basic.json");
  await c.embeddings.create(body("embeddings-basic.json"));
  replayHar("legacy-completion.har");
  const legacy = JSON.parse(readHar("legacy-completion.har")[0]!.request.postData!.text!) as { prompt: string };
  answers.push((await c.completions.create(legacy as never)).choices[0]!.text);
  return answers.filter((a) => a.trim().length > 3);
}

/** The texts the requests above send: the prompts, the embeddings' inputs. */
const PROMPTS = [
  "Which ocean contains Bouvet Island?",
  "One fish",
  "blue fish",
  (JSON.parse(readHar("legacy-completion.har")[0]!.request.postData!.text!) as { prompt: string }).prompt,
];

describe("openai on the integration kit", () => {
  it("resolves autolog() to the kit's status, and a second autolog() still records one span per call", async () => {
    const first = await autolog();
    const second = await autolog();
    expect(first).toMatchObject({ integration: "openai", enabled: true });
    expect(second).toMatchObject({ integration: "openai", enabled: true });
    replayNockRecording("chat-completion-basic.json");
    replayNockRecording("chat-completion-basic.json");
    await withSpan({ name: "root" }, async () => {
      await client().chat.completions.create(chatBody());
      await client().chat.completions.create(chatBody());
    });
    expect((await onlyTrace(store())).data.spans.map((s) => s.name)).toEqual(["root", "Completions", "Completions"]);
  });

  it("puts back the very original methods on disable (===), and patches them again after", async () => {
    const originals = prototypes().map((p) => p.create[ORIGINAL]);
    expect(originals.every((o) => typeof o === "function")).toBe(true);
    await expect(autolog({ disable: true })).resolves.toMatchObject({ enabled: false });
    try {
      expect(prototypes().map((p) => p.create)).toEqual(originals);
      for (const [i, p] of prototypes().entries()) expect(p.create).toBe(originals[i]);
    } finally {
      await autolog();
    }
    for (const [i, p] of prototypes().entries()) expect(p.create[ORIGINAL]).toBe(originals[i]);
  });

  it("records no prompt or answer text with recordContent: false, on every endpoint", async () => {
    await autolog({ recordContent: false });
    let answers: string[];
    try {
      answers = await callEveryEndpoint(client());
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces.map((t) => t.data.spans[0]!.name).sort()).toEqual(
      ["Completions", "Completions", "Completions", "Embeddings", "Responses"].sort(),
    );
    expect(answers.length).toBeGreaterThanOrEqual(3);
    for (const t of traces) {
      const json = t.toJson();
      for (const text of [...PROMPTS, ...answers]) expect(json).not.toContain(text);
      const span = t.data.spans[0]!;
      expect(span.inputs ?? null).toBeNull();
      expect(span.outputs ?? null).toBeNull();
      expect(span.getAttribute("mlflow.llm.model")).toEqual(expect.any(String));
    }
    // the structure stays: roles, and the usage the trace counts
    const chat = traces.find((t) => t.data.spans[0]!.spanType === "CHAT_MODEL" && messagesOf(t.data.spans[0]!))!;
    expect(messagesOf(chat.data.spans[0]!).map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(usageOf(chat.data.spans[0]!)).toMatchObject({ total_tokens: expect.any(Number) });
  });

  it("applies redact to every span: chat, stream, responses, embeddings, legacy, messages included", async () => {
    const seen = new Set<string>();
    await autolog({
      redact: (value, { target, key }) => {
        seen.add(key ?? target);
        const json = JSON.stringify(value);
        return json === undefined ? value : JSON.parse(json.replace(/Bouvet|fish|Atlantic|joke/g, "[redacted]"));
      },
    });
    try {
      await callEveryEndpoint(client());
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(5);
    for (const t of traces) {
      expect(t.toJson()).not.toMatch(/Bouvet|fish|Atlantic|joke/);
      expect(t.toJson()).toContain("[redacted]");
    }
    expect(seen).toContain("inputs");
    expect(seen).toContain("outputs");
    expect(seen).toContain("mlflow.chat.messages");
    expect(seen).not.toContain("mlflow.chat.tokenUsage"); // structure, not the user's data
  });

  it("gives a traced() client its own options: redact and recordContent, whatever autolog's", async () => {
    const c = traced(new OpenAI({ apiKey: API_KEY, maxRetries: 0 }), { recordContent: false });
    const r = traced(new OpenAI({ apiKey: API_KEY, maxRetries: 0 }), { redact: () => "[hidden]" });
    replayNockRecording("chat-completion-basic.json");
    replayNockRecording("chat-completion-basic.json");
    await c.chat.completions.create(chatBody());
    await r.chat.completions.create(chatBody());
    const [withoutContent, redacted] = await storedTraces(store());
    expect(withoutContent!.toJson()).not.toMatch(/Bouvet|Atlantic/);
    expect(usageOf(withoutContent!.data.spans[0]!)).toMatchObject({ total_tokens: 25 });
    expect(redacted!.data.spans[0]!.inputs).toBe("[hidden]");
    expect(messagesOf(redacted!.data.spans[0]!)).toBe("[hidden]");
  });
});
