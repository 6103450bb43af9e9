import { TracewrightClient } from "../src/index.js";
import type { FakeMlflowServer } from "./fake-mlflow-server.js";

/** Resolves once `check()` holds; fails the test after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The trace ids of the StartTrace calls the fake server received, in order. */
export const startTraceIds = (server: FakeMlflowServer): string[] =>
  server.requests
    .filter((r) => r.method === "POST" && r.path === "/api/3.0/mlflow/traces")
    .map((r) => JSON.parse(r.body).trace.trace_info.trace_id as string);

/** Logs one single-span trace per name through the client API; returns their ids. */
export function logTraces(names: string[]): string[] {
  const client = new TracewrightClient();
  return names.map((name) => {
    const root = client.startTrace(name);
    client.endTrace({ traceId: root.traceId });
    return root.traceId;
  });
}
