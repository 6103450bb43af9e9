import { flushTraces, type InMemoryTraceStore } from "@tracewright/core";
import { freshMemoryStore, nock } from "@tracewright/testing";
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

// shared by every integration's tests
export { attr, messagesOf, onlyTrace, usageOf } from "@tracewright/testing";
