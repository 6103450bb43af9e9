import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { flushTraces, SpanType, SqliteTraceStore, setTraceStore, startSpan, trace } from "@tracewright/core";

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "examples");

/** Runs an example app as its own process, tracing into the SQLite store at `dbPath` (recorded HTTP, no key). */
export async function runExample(example: string, script: string, dbPath: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite:${dbPath}` };
  delete env.OPENAI_API_KEY;
  delete env.MLFLOW_TRACKING_URI;
  await promisify(execFile)(process.execPath, [script], { cwd: join(EXAMPLES, example), env, timeout: 60_000 });
}

/** Adds a trace of `spanCount` spans (an agent loop of tool calls) and `traceCount` small traces. */
export async function addLoad(dbPath: string, spanCount: number, traceCount: number): Promise<void> {
  const store = new SqliteTraceStore(dbPath);
  setTraceStore(store);
  try {
    const root = startSpan({
      name: "long_agent_run",
      spanType: SpanType.AGENT,
      parent: null,
      inputs: { task: "many steps" },
    });
    for (let i = 1; i < spanCount; i += 2) {
      const step = startSpan({ name: `step ${(i + 1) / 2}`, spanType: SpanType.CHAIN, parent: root });
      startSpan({ name: "lookup", spanType: SpanType.TOOL, parent: step, inputs: { i } }).end({ outputs: i * 2 });
      step.end();
    }
    root.end({ outputs: "done" });
    const index = startSpan({ name: "index_corpus", spanType: SpanType.CHAIN, parent: null });
    const texts = ["One fish", "two fish", "red fish", "blue fish"];
    startSpan({ name: "embed_texts", spanType: SpanType.EMBEDDING, parent: index, inputs: { input: texts } }).end({
      outputs: { count: 4, dimensions: 1536 },
    });
    index.end();
    const small = trace(function batch_job(n: number) {
      return n + 1;
    });
    for (let i = 0; i < traceCount; i++) small(i);
    await flushTraces();
  } finally {
    setTraceStore(null);
    store.close();
  }
}
