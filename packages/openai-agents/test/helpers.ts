import { flushTraces, type InMemoryTraceStore } from "@tracewright/core";
import { freshMemoryStore, nock } from "@tracewright/testing";
import { afterEach, beforeAll, beforeEach } from "vitest";

/** A fresh in-memory store per test, recorded HTTP only. */
export function setupAgentsTest(): () => InMemoryTraceStore {
  let store: InMemoryTraceStore;
  beforeAll(() => {
    nock.disableNetConnect();
  });
  beforeEach(async () => {
    await flushTraces();
    store = freshMemoryStore();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  return () => store;
}

export const OPENAI_KEY = "placeholder-key-agents";
