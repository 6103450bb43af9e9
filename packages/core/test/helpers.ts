import { beforeEach } from "vitest";
import {
  enableAsyncLogging,
  enableTracing,
  flushTraces,
  InMemoryTraceStore,
  setTraceStore,
  type Trace,
} from "../src/index.js";

/** A fresh in-memory store per test; returns an accessor for it. */
export function useMemoryStore(): () => InMemoryTraceStore {
  let store = new InMemoryTraceStore();
  beforeEach(async () => {
    await flushTraces(); // traces a previous test left queued belong to its store, not this one
    store = new InMemoryTraceStore();
    setTraceStore(store);
    enableAsyncLogging(true);
    enableTracing();
  });
  return () => store;
}

/** Flushes and returns every stored trace, oldest first. */
export async function storedTraces(store: InMemoryTraceStore): Promise<Trace[]> {
  await flushTraces();
  return store.allTraces();
}

/** The span tree of a trace as nested `name (TYPE)` lines, for whole-tree assertions. */
export function treeOf(trace: Trace): string[] {
  const spans = trace.data.spans;
  const lines: string[] = [];
  const walk = (parentId: string | null, depth: number) => {
    for (const s of spans.filter((x) => x.parentId === parentId).sort((a, b) => a.startTimeNs - b.startTimeNs)) {
      lines.push(`${"  ".repeat(depth)}${s.name} (${s.spanType}) ${s.status.statusCode}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return lines;
}
