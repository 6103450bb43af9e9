import { flushTraces, type InMemoryTraceStore, type Span, SpanAttributeKey, type Trace } from "@tracewright/core";
import { freshMemoryStore, nock, storedTraces } from "@tracewright/testing";
import OpenAI from "openai";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { autolog } from "../src/index.js";

export const API_KEY = "placeholder-key-DO-NOT-LEAK-1234567890";

/** Autolog on, a fresh in-memory store per test, nock with no stray network. */
export function setupOpenAITest(): { store: () => InMemoryTraceStore; client: () => OpenAI } {
  let store: InMemoryTraceStore;
  let client: OpenAI;
  beforeAll(async () => {
    await autolog();
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1"); // real loopback servers are fine; the internet is not
  });
  beforeEach(async () => {
    await flushTraces();
    store = freshMemoryStore();
    client = new OpenAI({ apiKey: API_KEY, maxRetries: 0 });
  });
  afterEach(() => {
    nock.cleanAll();
  });
  return { store: () => store, client: () => client };
}

/** The single trace stored, failing loudly otherwise. */
export async function onlyTrace(store: InMemoryTraceStore): Promise<Trace> {
  const traces = await storedTraces(store);
  if (traces.length !== 1) throw new Error(`expected 1 trace, found ${traces.length}`);
  return traces[0] as Trace;
}

export const attr = (span: Span, key: string): unknown => span.getAttribute(key);
export const usageOf = (span: Span): unknown => span.getAttribute(SpanAttributeKey.CHAT_USAGE);
export const messagesOf = (span: Span): Array<Record<string, unknown>> =>
  span.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<Record<string, unknown>>;
