/**
 * Nesting and ownership with many requests in flight: 24 `trace()` roots at once, each making a
 * plain `messages.create`, a `messages.stream()` helper call and an openai chat completion (the
 * openai autolog on at the same time), against a loopback server answering in random order.
 * Each trace holds exactly its own three spans, each call recorded once by its own integration,
 * and the trace's usage is what the replies reported; the SDK's own OpenTelemetry spans, when a
 * Tracewright tracer provider is global, nest under the integration's and add no usage.
 */
import Anthropic from "@anthropic-ai/sdk";
import { trace as otelTrace } from "@opentelemetry/api";
import { type Trace, trace } from "@tracewright/core";
import * as openaiAutolog from "@tracewright/openai";
import { TracewrightTracerProvider } from "@tracewright/otel-genai";
import {
  decodeNockResponse,
  readNockRecording,
  spanTree,
  startLoopbackServer,
  storedTraces,
} from "@tracewright/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOKE_REPLY, STREAMED_REPLY } from "./child-app.js";
import { API_KEY, messagesOf, onlyTrace, setupAnthropicTest } from "./helpers.js";

const { store } = setupAnthropicTest();

const CHAT_REPLY = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));
const IN_FLIGHT = 24;

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  await openaiAutolog.autolog();
  server = await startLoopbackServer((req, res, body) => {
    const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
    const reply = req.url?.startsWith("/v1/chat/completions") ? CHAT_REPLY : stream ? STREAMED_REPLY : JOKE_REPLY;
    // answer in a random order, so replies interleave across traces
    setTimeout(
      () => {
        res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
        res.end(reply);
      },
      Math.floor(Math.random() * 25),
    );
  });
});
afterAll(async () => {
  await openaiAutolog.autolog({ disable: true });
  await server.close();
});

/** One user's turn: a plain call, a streamed helper call, an openai call; each names its user. */
async function turn(user: number): Promise<void> {
  const anthropic = new Anthropic({ apiKey: API_KEY, maxRetries: 0, baseURL: server.url });
  const openai = new OpenAI({ apiKey: API_KEY, maxRetries: 0, baseURL: `${server.url}/v1` });
  const ask = { model: "claude-3-opus-20240229", max_tokens: 1024 };
  await anthropic.messages.create({ ...ask, messages: [{ role: "user", content: `user ${user}: plain` }] });
  await anthropic.messages.stream({ ...ask, messages: [{ role: "user", content: `user ${user}: streamed` }] }).done();
  await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `user ${user}: openai` }],
  });
}

/** The user each model span of a trace was asked by. */
function askers(t: Trace): string[] {
  return t.data.spans.slice(1).map((s) => String(messagesOf(s)[0]!.content).split(":")[0]!);
}

describe(`${IN_FLIGHT} traced requests in flight, with the openai autolog on too`, () => {
  it("keeps each trace to its own spans, each call recorded once, with the replies' usage", async () => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, (_, user) => trace(() => turn(user), { name: `turn ${user}` })()),
    );
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(IN_FLIGHT);
    for (const t of traces) {
      const user = t.data.spans[0]!.name.replace("turn ", "");
      expect(spanTree(t)).toEqual([
        `turn ${user} (UNKNOWN) OK`,
        "  Messages.create (CHAT_MODEL) OK",
        "  Messages.stream (CHAT_MODEL) OK",
        "  Completions (CHAT_MODEL) OK",
      ]);
      expect(askers(t)).toEqual([`user ${user}`, `user ${user}`, `user ${user}`]);
      expect(t.data.spans.map((s) => s.getAttribute("mlflow.message.format"))).toEqual([
        undefined,
        "anthropic",
        "anthropic",
        "openai",
      ]);
      // the joke (17 + 137), the streamed greeting (12 + 30) and the openai reply (22 + 3)
      expect(t.info.tokenUsage?.total_tokens).toBe(154 + 42 + 25);
    }
  });
});

describe("the SDK's own OpenTelemetry spans", () => {
  it("nest under the integration's span when a Tracewright tracer provider is global, counting usage once", async () => {
    // the SDK starts a span of its own for each call (the stream() helper's before it sends the
    // request); with otel-genai's provider global they are Tracewright spans too
    otelTrace.setGlobalTracerProvider(new TracewrightTracerProvider());
    try {
      await trace(() => turn(0), { name: "turn 0" })();
    } finally {
      otelTrace.disable();
    }
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual([
      "turn 0 (UNKNOWN) OK",
      "  Messages.create (CHAT_MODEL) OK",
      "    anthropic.messages.create (CHAT_MODEL) OK",
      "  Messages.stream (CHAT_MODEL) OK",
      "    anthropic.messages.create (CHAT_MODEL) OK",
      "  Completions (CHAT_MODEL) OK",
    ]);
    expect(t.info.tokenUsage?.total_tokens).toBe(154 + 42 + 25);
  });
});
