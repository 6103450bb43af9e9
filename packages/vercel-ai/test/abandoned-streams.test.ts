/**
 * A streamText result dropped before its stream ended (broken off after the first delta, or never
 * read) still becomes a stored trace whose spans all ended, marked `stream_abandoned`, and
 * nothing of it stays in memory. In a child process started with `--expose-gc`, against a
 * loopback server serving a real recorded stream.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SqliteTraceStore, type Trace } from "@tracewright/core";
import { decodeNockResponse, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const sse = decodeNockResponse(readNockRecording("chat-streaming-include-usage.json")[0]!) as string;

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(sse);
  });
});
afterAll(() => server.close());

interface ChildReport {
  before: number;
  after: number;
  calls: number;
}

/** Runs the fixture app in a fresh `node --expose-gc`; returns its report and the traces it stored. */
async function runAbandonedStreams(env: Record<string, string>): Promise<{ out: ChildReport; traces: Trace[] }> {
  const db = join(mkdtempSync(join(tmpdir(), "tw-vercel-ai-")), "traces.db");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--expose-gc", join(pkgDir, "test", "fixtures", "abandoned-streams.mjs")],
    {
      cwd: pkgDir,
      env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`, OPENAI_BASE_URL: `${server.url}/v1`, ...env },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as ChildReport;
  const store = new SqliteTraceStore(db);
  try {
    return { out, traces: store.searchTraces({ maxResults: 1000 }).traces };
  } finally {
    store.close();
  }
}

describe("streamText results dropped before their stream ended", () => {
  it("are stored as traces with every span ended and marked stream_abandoned, and leave the heap flat over 200 of them", async () => {
    // the baseline: as many traced calls whose streams are read to the end
    const readToTheEnd = await runAbandonedStreams({ STREAMS: "200", WAYS: "read" });
    const { out, traces } = await runAbandonedStreams({ STREAMS: "200" });

    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      expect(t.data.spans.filter((s) => s.endTimeNs === null)).toEqual([]);
      const root = t.data.spans.find((s) => s.parentId === null)!;
      expect(root.name).toBe("invoke_agent gpt-4o-mini");
      expect(root.events.map((e) => e.name)).toContain("stream_abandoned");
    }
    const asked = traces.map((t) => JSON.stringify(t.data.spans.find((s) => s.parentId === null)!.inputs));
    expect(new Set(asked).size).toBe(out.calls); // one trace per call, each its own

    // each abandoned call kept its spans (~7 KB) before; now they cost what a completed call costs
    const extraKb = (out.after - out.before - (readToTheEnd.out.after - readToTheEnd.out.before)) / 1024;
    expect(extraKb).toBeLessThan(300);
  }, 120_000);

  it("ends a stream that is never read: its model call, step and call spans all end with stream_abandoned", async () => {
    const { out, traces } = await runAbandonedStreams({ STREAMS: "3", WAYS: "neverRead" });
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const spans = t.data.spans;
      expect(spans.map((s) => s.spanType).sort()).toEqual(["CHAIN", "CHAIN", "CHAT_MODEL"]);
      expect(spans.filter((s) => s.endTimeNs === null)).toEqual([]);
      const root = spans.find((s) => s.parentId === null)!;
      expect(root.events.map((e) => e.name)).toContain("stream_abandoned");
    }
  }, 60_000);
});
