import {
  flushTraces,
  InMemoryTraceStore,
  type Span,
  SpanAttributeKey,
  setTraceStore,
  type Trace,
} from "@tracewright/core";

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

/** The single stored trace (after a flush), failing loudly otherwise. */
export async function onlyTrace(store: InMemoryTraceStore): Promise<Trace> {
  const traces = await storedTraces(store);
  if (traces.length !== 1) throw new Error(`expected 1 trace, found ${traces.length}`);
  return traces[0] as Trace;
}

/** A span's attribute, decoded. */
export const attr = (span: Span, key: string): unknown => span.getAttribute(key);
/** A span's `mlflow.chat.tokenUsage`. */
export const usageOf = (span: Span): unknown => span.getAttribute(SpanAttributeKey.CHAT_USAGE);
/** A span's `mlflow.chat.messages`. */
export const messagesOf = (span: Span): Array<Record<string, unknown>> =>
  span.getAttribute(SpanAttributeKey.CHAT_MESSAGES) as Array<Record<string, unknown>>;

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
