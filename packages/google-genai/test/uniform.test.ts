/**
 * The kit's uniform behaviour, as every Tracewright integration has it, for @google/genai:
 * idempotent autolog, `disable` putting back the very original methods, `recordContent: false`
 * keeping no prompt or answer text on any endpoint, `redact` applied to every span, and a
 * traced() client with options of its own; with recorded and hand-written Gemini HTTP.
 */
import { Chat, GoogleGenAI, Models } from "@google/genai";
import { withSpan } from "@tracewright/core";
import { storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { autolog, instrumentGoogleGenAIModule, traced } from "../src/index.js";
import {
  API_KEY,
  messagesOf,
  onlyTrace,
  recordedRequest,
  replayGemini,
  replayRecordedGenerate,
  setupGeminiTest,
  usageOf,
} from "./helpers.js";

const { store, client } = setupGeminiTest();

const ORIGINAL = Symbol.for("tracewright.google-genai.original");
const PROMPT = recordedRequest().contents[0]!.parts[0]!.text;
const MODELS_METHODS = ["generateContent", "generateContentStream", "embedContent"] as const;

/** One call per endpoint (generateContent, stream, chat message, embeddings), each consumed; returns the answers. */
async function callEveryEndpoint(ai: GoogleGenAI): Promise<string[]> {
  const answers: string[] = [];
  replayRecordedGenerate();
  answers.push((await ai.models.generateContent({ model: "gemini-1.5-flash", contents: PROMPT })).text ?? "");
  replayGemini("models/gemini-2.0-flash:streamGenerateContent?alt=sse", "handwritten-gemini-stream.sse");
  let streamed = "";
  const stream = await ai.models.generateContentStream({ model: "gemini-2.0-flash", contents: "Why is the sky blue?" });
  for await (const chunk of stream) streamed += chunk.text ?? "";
  answers.push(streamed);
  replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-function-response-answer.json");
  const chat = ai.chats.create({ model: "gemini-2.5-flash", config: { systemInstruction: "Answer about London." } });
  answers.push((await chat.sendMessage({ message: "What is the weather in London?" })).text ?? "");
  replayGemini("models/text-embedding-004:batchEmbedContents", "handwritten-gemini-batch-embed-contents.json");
  await ai.models.embedContent({ model: "text-embedding-004", contents: ["What is your name?"] });
  return answers;
}
const TEXTS = [
  PROMPT,
  "Why is the sky blue?",
  "What is the weather in London?",
  "Answer about London.",
  "What is your name?",
];

describe("@google/genai on the integration kit", () => {
  it("resolves autolog() to the kit's status, and a second autolog() still records one span per call", async () => {
    const first = await autolog();
    const second = await autolog();
    expect(first).toMatchObject({ integration: "google-genai", enabled: true });
    expect(second).toMatchObject({ integration: "google-genai", enabled: true });
    const ai = new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta" });
    replayRecordedGenerate(2);
    await withSpan({ name: "root" }, async () => {
      await ai.models.generateContent({ model: "gemini-1.5-flash", contents: PROMPT });
      await ai.models.generateContent({ model: "gemini-1.5-flash", contents: PROMPT });
    });
    expect((await onlyTrace(store())).data.spans.map((s) => s.name)).toEqual([
      "root",
      "Models.generateContent",
      "Models.generateContent",
    ]);
  });

  it("puts back the very original methods on disable (===), and patches them again after", async () => {
    const chatOriginals = [Chat.prototype.sendMessage, Chat.prototype.sendMessageStream].map(
      (m) => (m as unknown as Record<symbol, unknown>)[ORIGINAL],
    );
    expect(chatOriginals.every((o) => typeof o === "function")).toBe(true);
    for (const name of MODELS_METHODS)
      expect(Object.getOwnPropertyDescriptor(Models.prototype, name)?.set).toBeTypeOf("function");
    await expect(autolog({ disable: true })).resolves.toMatchObject({ enabled: false });
    try {
      expect(Chat.prototype.sendMessage).toBe(chatOriginals[0]);
      expect(Chat.prototype.sendMessageStream).toBe(chatOriginals[1]);
      for (const name of MODELS_METHODS) expect(Object.hasOwn(Models.prototype, name)).toBe(false);
      const plain = new GoogleGenAI({ apiKey: API_KEY });
      for (const name of MODELS_METHODS) expect(Object.hasOwn(plain.models[name], ORIGINAL)).toBe(false);
    } finally {
      await autolog();
    }
    expect((Chat.prototype.sendMessage as unknown as Record<symbol, unknown>)[ORIGINAL]).toBe(chatOriginals[0]);
    const again = new GoogleGenAI({ apiKey: API_KEY });
    for (const name of MODELS_METHODS) expect(Object.hasOwn(again.models[name], ORIGINAL)).toBe(true);
  });

  it("records nothing from a client autologged earlier while autolog is off", async () => {
    await autolog({ disable: true });
    try {
      await callEveryEndpoint(client());
    } finally {
      await autolog();
    }
    expect(await storedTraces(store())).toEqual([]);
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
      ["Chat.sendMessage", "Models.embedContent", "Models.generateContent", "Models.generateContentStream"].sort(),
    );
    expect(answers[0]).toBe("4\n"); // too short to look for below
    const long = answers.slice(1);
    expect(long.map((a) => a.slice(0, 12))).toEqual(["The sky look", "It is 15 deg"]);
    for (const t of traces) {
      const json = t.toJson();
      for (const text of [...TEXTS, ...long]) expect(json).not.toContain(text.trim());
      const span = t.data.spans[0]!;
      expect(span.inputs ?? null).toBeNull();
      expect(span.outputs ?? null).toBeNull();
      expect(span.getAttribute("mlflow.llm.model")).toEqual(expect.any(String));
    }
    // the structure stays: roles, and the usage the trace counts
    const chat = traces.find((t) => t.data.spans[0]!.name === "Chat.sendMessage")!.data.spans[0]!;
    expect(messagesOf(chat).map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(usageOf(chat)).toMatchObject({ total_tokens: 1142, cache_read_input_tokens: 1024 });
  });

  it("applies redact to every span: generateContent, stream, chat, embeddings, messages included", async () => {
    const seen = new Set<string>();
    await autolog({
      redact: (value, { target, key }) => {
        seen.add(key ?? target);
        const json = JSON.stringify(value);
        return json === undefined ? value : JSON.parse(json.replace(/2\+2|sky|London|your name/g, "[redacted]"));
      },
    });
    try {
      await callEveryEndpoint(client());
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(4);
    for (const t of traces) {
      expect(t.toJson()).not.toMatch(/2\+2|sky|London|your name/);
      expect(t.toJson()).toContain("[redacted]");
    }
    expect(seen).toContain("inputs");
    expect(seen).toContain("outputs");
    expect(seen).toContain("mlflow.chat.messages");
  });

  it("gives a traced() client its own options, one span per call even when autolog traces it too", async () => {
    await autolog({ disable: true });
    const early = new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta" }); // made while autolog was off
    await autolog();
    const c = traced(early, { recordContent: false });
    const r = traced(new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta" }), { redact: () => "[hidden]" });
    replayRecordedGenerate(2);
    await c.models.generateContent({ model: "gemini-1.5-flash", contents: PROMPT });
    await r.models.generateContent({ model: "gemini-1.5-flash", contents: PROMPT });
    replayGemini("models/gemini-2.5-flash:generateContent", "handwritten-gemini-function-response-answer.json");
    await r.chats.create({ model: "gemini-2.5-flash" }).sendMessage({ message: "What is the weather in London?" });
    const [withoutContent, redacted, chat] = await storedTraces(store());
    expect(withoutContent!.data.spans).toHaveLength(1);
    expect(withoutContent!.toJson()).not.toContain("2+2");
    expect(usageOf(withoutContent!.data.spans[0]!)).toMatchObject({ total_tokens: 14 });
    expect(redacted!.data.spans).toHaveLength(1);
    expect(redacted!.data.spans[0]!.inputs).toBe("[hidden]");
    expect(messagesOf(redacted!.data.spans[0]!)).toBe("[hidden]");
    expect(chat!.data.spans.map((s) => [s.name, s.inputs])).toEqual([["Chat.sendMessage", "[hidden]"]]);
  });
});

describe("instrumentGoogleGenAIModule", () => {
  it("patches the real module object (already patched: true) and refuses what is not @google/genai", async () => {
    const genaiModule = await import("@google/genai");
    expect(instrumentGoogleGenAIModule(genaiModule)).toBe(true);
    expect(instrumentGoogleGenAIModule({ GoogleGenAI: class {} })).toBe(false);
  });

  it("wraps a version whose Models methods are prototype methods", async () => {
    class Models {
      async generateContent(params: unknown) {
        return { candidates: [{ content: { role: "model", parts: [{ text: `echo ${JSON.stringify(params)}` }] } }] };
      }
    }
    class Chat {
      async sendMessage() {}
      async sendMessageStream() {}
    }
    expect(instrumentGoogleGenAIModule({ Models, Chat })).toBe(true);
    const reply = await new Models().generateContent({ model: "m", contents: "x" });
    expect(reply.candidates[0]!.content.parts[0]!.text).toBe('echo {"model":"m","contents":"x"}');
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect([span.name, span.inputs]).toEqual(["Models.generateContent", { model: "m", contents: "x" }]);
  });

  it("reports (false) a version that defines its Models methods past the constructor trap", () => {
    class Models {
      generateContent = async () => ({});
      generateContentStream = async () => ({});
      embedContent = async () => ({});
    }
    class Chat {
      async sendMessage() {}
      async sendMessageStream() {}
    }
    expect(instrumentGoogleGenAIModule({ Models, Chat })).toBe(false);
  });
});
