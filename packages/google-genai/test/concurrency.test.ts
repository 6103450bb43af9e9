/**
 * Nesting and single ownership with many requests in flight: 24 `trace()` roots run at once,
 * each making a chat message, a generateContent call and an openai chat completion (the openai
 * autolog on at the same time) against a real loopback server that answers in random order.
 * Every trace holds exactly its own spans, each call once, and its usage is what its replies
 * reported.
 */
import { GoogleGenAI } from "@google/genai";
import { SpanAttributeKey, trace } from "@tracewright/core";
import { autolog as openaiAutolog } from "@tracewright/openai";
import {
  decodeNockResponse,
  harResponseText,
  readHar,
  readNockRecording,
  spanTree,
  startLoopbackServer,
  storedTraces,
} from "@tracewright/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, setupGeminiTest } from "./helpers.js";

const { store } = setupGeminiTest();

/** The recorded Gemini reply, answering "answer <n>" with <n> prompt tokens for a request naming n. */
const recorded = JSON.parse(harResponseText(readHar("gemini-generate-content.har")[0]!)) as {
  candidates: Array<{ content: { parts: Array<{ text: string }> } }>;
  usageMetadata: Record<string, unknown>;
};
function geminiReply(requestBody: string): string {
  const n = Number(/request (\d+)/.exec(requestBody)?.[1] ?? -1);
  const reply = structuredClone(recorded);
  reply.candidates[0]!.content.parts[0]!.text = `answer ${n}`;
  reply.usageMetadata = { promptTokenCount: n, candidatesTokenCount: 2, totalTokenCount: n + 2 };
  return JSON.stringify(reply);
}
const openaiBody = decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!) as {
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};
const openaiReply = JSON.stringify(openaiBody);

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  await openaiAutolog();
  server = await startLoopbackServer((req, res, body) => {
    // a random delay per request, so replies arrive in another order than requests left
    setTimeout(
      () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(req.url?.includes("/chat/completions") ? openaiReply : geminiReply(body));
      },
      Math.floor(Math.random() * 25),
    );
  });
});
afterAll(async () => {
  await openaiAutolog({ disable: true });
  await server.close();
});

describe("24 requests in flight, google-genai and openai autolog on", () => {
  it("keeps each trace to its own spans, each call once, with its own usage", async () => {
    const ai = new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta", httpOptions: { baseUrl: server.url } });
    const openai = new OpenAI({ apiKey: API_KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const request = trace(
      async function request(n: number) {
        const chat = ai.chats.create({ model: "gemini-1.5-flash" });
        const [chatReply, generated] = await Promise.all([
          chat.sendMessage({ message: `request ${n}` }),
          ai.models.generateContent({ model: "gemini-1.5-flash", contents: `request ${n + 1000}` }),
        ]);
        await openai.chat.completions.create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: `request ${n}` }],
        });
        return [chatReply.text, generated.text];
      },
      { name: "request" },
    );
    const N = 24;
    const answers = await Promise.all(Array.from({ length: N }, (_, n) => request(n)));
    expect(answers).toEqual(Array.from({ length: N }, (_, n) => [`answer ${n}`, `answer ${n + 1000}`]));

    const traces = await storedTraces(store());
    expect(traces).toHaveLength(N);
    for (const t of traces) {
      const n = (t.data.spans[0]!.inputs as { n: number }).n;
      expect(spanTree(t).sort()).toEqual(
        [
          "request (UNKNOWN) OK",
          "  Chat.sendMessage (CHAT_MODEL) OK",
          "  Models.generateContent (CHAT_MODEL) OK",
          "  Completions (CHAT_MODEL) OK",
        ].sort(),
      );
      const byName = Object.fromEntries(t.data.spans.map((s) => [s.name, s]));
      expect(byName["Chat.sendMessage"]!.outputs).toMatchObject({
        candidates: [{ content: { parts: [{ text: `answer ${n}` }] } }],
      });
      expect(byName["Models.generateContent"]!.outputs).toMatchObject({
        candidates: [{ content: { parts: [{ text: `answer ${n + 1000}` }] } }],
      });
      expect(byName.Completions!.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("openai");
      // the chat's reply, the generateContent reply and the recorded openai reply, each once
      const { prompt_tokens, completion_tokens, total_tokens } = openaiBody.usage;
      expect(t.info.tokenUsage).toMatchObject({
        input_tokens: n + (n + 1000) + prompt_tokens,
        output_tokens: 2 + 2 + completion_tokens,
        total_tokens: n + 2 + (n + 1002) + total_tokens,
      });
    }
  });
});
