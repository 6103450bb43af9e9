/**
 * models.generateContentStream against a hand-written stream in Gemini's documented SSE format
 * (`:streamGenerateContent?alt=sse`): the generator yields the same chunks as untraced, the span
 * records the reply rebuilt from them, and a stream broken off by the consumer ends its span.
 */
import { ApiError, GenerateContentResponse, GoogleGenAI } from "@google/genai";
import { SpanAttributeKey } from "@tracewright/core";
import { readRecordingText, replayBody } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { API_KEY, GEMINI_ORIGIN, messagesOf, onlyTrace, replayGemini, setupGeminiTest, usageOf } from "./helpers.js";

const { store, client } = setupGeminiTest();

const STREAM_PATH = "models/gemini-2.0-flash:streamGenerateContent?alt=sse";
const ANSWER =
  "The sky looks blue because air molecules scatter short blue wavelengths of sunlight more than long red ones (Rayleigh scattering).\n";
const request = { model: "gemini-2.0-flash", contents: "Why is the sky blue?" };

async function readAll(stream: AsyncGenerator<GenerateContentResponse>) {
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe("models.generateContentStream", () => {
  it("yields the very chunks the SDK yields untraced, and records the rebuilt reply", async () => {
    await autolog({ disable: true });
    replayGemini(STREAM_PATH, "handwritten-gemini-stream.sse");
    const untraced = await readAll(await client().models.generateContentStream(request));
    await autolog();
    const c = new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta" });
    replayGemini(STREAM_PATH, "handwritten-gemini-stream.sse");
    const traced = await readAll(await c.models.generateContentStream(request));

    expect(traced).toHaveLength(3);
    expect(traced.every((chunk) => chunk instanceof GenerateContentResponse)).toBe(true);
    expect(JSON.stringify(traced)).toBe(JSON.stringify(untraced));
    expect(traced.map((chunk) => chunk.text).join("")).toBe(ANSWER);

    const span = (await onlyTrace(store())).data.spans[0]!;
    expect([span.name, span.spanType, span.status.statusCode]).toEqual([
      "Models.generateContentStream",
      "CHAT_MODEL",
      "OK",
    ]);
    expect(span.inputs).toEqual(request);
    expect(span.outputs).toEqual({
      candidates: [{ content: { role: "model", parts: [{ text: ANSWER }] }, finishReason: "STOP" }],
      modelVersion: "gemini-2.0-flash",
      responseId: "sK3GaKqXO8KQ1MkPhr_QiQ4",
      usageMetadata: expect.objectContaining({ promptTokenCount: 7, candidatesTokenCount: 21, totalTokenCount: 28 }),
    });
    expect(usageOf(span)).toEqual({ input_tokens: 7, output_tokens: 21, total_tokens: 28 });
    expect(messagesOf(span)).toEqual([
      { role: "user", content: "Why is the sky blue?" },
      { role: "assistant", content: ANSWER },
    ]);
    expect(span.getAttribute("gemini.stream.chunks")).toBe(3);
    expect(span.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("gemini");
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk"]);
  });

  it("ends the span with stream_abandoned when the consumer breaks off, keeping what arrived", async () => {
    replayGemini(STREAM_PATH, "handwritten-gemini-stream.sse");
    const stream = await client().models.generateContentStream(request);
    let first = "";
    for await (const chunk of stream) {
      first = chunk.text ?? "";
      break;
    }
    expect(first).toBe("The sky looks blue because");
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.endTimeNs).not.toBeNull();
    expect(span.status.statusCode).toBe("OK");
    expect(span.events.map((e) => [e.name, e.attributes.reason ?? null])).toEqual([
      ["first_chunk", null],
      ["stream_abandoned", "abandoned"],
    ]);
    expect(span.getAttribute("gemini.stream.chunks")).toBe(1);
    expect(messagesOf(span).at(-1)).toEqual({ role: "assistant", content: "The sky looks blue because" });
  });

  it("records a stream that fails mid-way (an error event after a chunk) and rethrows the SDK's error", async () => {
    const first = readRecordingText("handwritten-gemini-stream.sse").split("\r\n\r\n")[0];
    const failing = `${first}\r\n\r\ndata: ${readRecordingText("handwritten-gemini-error-429.json").replace(/\s+/g, " ")}\r\n\r\n`;
    replayBody({ origin: GEMINI_ORIGIN, path: `/v1beta/${STREAM_PATH}`, body: failing });
    const seen: string[] = [];
    let thrown: unknown;
    try {
      for await (const chunk of await client().models.generateContentStream(request)) seen.push(chunk.text ?? "");
    } catch (e) {
      thrown = e;
    }
    expect(seen).toEqual(["The sky looks blue because"]);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(429);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "exception"]);
    expect(messagesOf(span).at(-1)).toEqual({ role: "assistant", content: "The sky looks blue because" });
  });

  it("records a stream that fails to open and rethrows the SDK's error", async () => {
    replayGemini(STREAM_PATH, "handwritten-gemini-error-429.json", 429);
    await expect(client().models.generateContentStream(request)).rejects.toMatchObject({ status: 429 });
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
  });
});
