import { flushTraces, type InMemoryTraceStore } from "@tracewright/core";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { nock } from "./recorded-http.js";
import { freshMemoryStore } from "./trace-tree.js";

/**
 * For an integration's test file: a fresh in-memory store per test (after flushing what an
 * earlier test left queued), no network but recorded HTTP, interceptors cleared after each test.
 * Returns an accessor for the current store.
 */
export function useRecordedHttpStore(): () => InMemoryTraceStore {
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
