import Anthropic from "@anthropic-ai/sdk";
import { flushTraces, type InMemoryTraceStore } from "@tracewright/core";
import {
  chunksToSse,
  freshMemoryStore,
  harResponseText,
  nock,
  readHar,
  readRecordingText,
  replayBody,
} from "@tracewright/testing";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { autolog } from "../src/index.js";

export const API_KEY = "placeholder-key-DO-NOT-LEAK-1234567890";
export const ANTHROPIC_ORIGIN = "https://api.anthropic.com";

/**
 * The response body a recording holds, as the API sent it: HAR entries (openllmetry-js),
 * status+headers+body objects (openinference), body-only `.chunks.txt` streams (vercel/ai, as
 * SSE with event names), and plain JSON or SSE bodies.
 */
export function recordedResponse(name: string): { status: number; body: string } {
  if (name.endsWith(".har")) {
    const entry = readHar(name)[0]!;
    return { status: entry.response.status, body: harResponseText(entry) };
  }
  if (name.endsWith(".chunks.txt")) return { status: 200, body: chunksToSse(name, { eventNames: true }) };
  const text = readRecordingText(name);
  if (name.startsWith("anthropic-thinking-")) {
    const { status, body } = JSON.parse(text) as { status: number; body: string };
    return { status, body };
  }
  return { status: 200, body: text };
}

/** The request a HAR recording made (the other recordings hold responses only). */
export function recordedRequest(name: string): Record<string, unknown> {
  return JSON.parse(readHar(name)[0]!.request.postData!.text!) as Record<string, unknown>;
}

/** Serves one recorded response for `POST /v1/messages` (or `path`) on api.anthropic.com. */
export function serveRecording(name: string, options: { status?: number; path?: string } = {}): nock.Scope {
  const { status, body } = recordedResponse(name);
  return replayBody({
    origin: ANTHROPIC_ORIGIN,
    path: options.path ?? "/v1/messages",
    status: options.status ?? status,
    body,
  });
}

/** Autolog on, a fresh in-memory store per test, nock with no stray network. */
export function setupAnthropicTest(): { store: () => InMemoryTraceStore; client: () => Anthropic } {
  let store: InMemoryTraceStore;
  let client: Anthropic;
  beforeAll(async () => {
    await autolog();
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1"); // real loopback servers are fine; the internet is not
  });
  beforeEach(async () => {
    await flushTraces();
    store = freshMemoryStore();
    client = new Anthropic({ apiKey: API_KEY, maxRetries: 0 });
  });
  afterEach(() => {
    nock.cleanAll();
  });
  return { store: () => store, client: () => client };
}

// shared by every integration's tests
export { attr, messagesOf, onlyTrace, usageOf } from "@tracewright/testing";
