import { flushTraces, InMemoryTraceStore, type Span, setTraceStore, type Trace } from "@tracewright/core";

/**
 * Installs a fresh in-memory store and returns it (call in beforeEach, after `await
 * flushTraces()` when an earlier test may have left traces queued).
 */
export function freshMemoryStore(): InMemoryTraceStore {
  const store = new InMemoryTraceStore();
  setTraceStore(store);
  return store;
}

/** Flushes the export queue and returns every stored trace, oldest first. */
export async function storedTraces(store: InMemoryTraceStore): Promise<Trace[]> {
  await flushTraces();
  return store.allTraces();
}

/** The span tree as indented `name (TYPE) STATUS` lines, children ordered by start time. */
export function spanTree(trace: Trace): string[] {
  const lines: string[] = [];
  const walk = (parentId: string | null, depth: number) => {
    const children = trace.data.spans
      .filter((s: Span) => s.parentId === parentId)
      .sort((a, b) => a.startTimeNs - b.startTimeNs);
    for (const s of children) {
      lines.push(`${"  ".repeat(depth)}${s.name} (${s.spanType}) ${s.status.statusCode}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return lines;
}
