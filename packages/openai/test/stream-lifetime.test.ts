/**
 * Streams the app drops are collected: the plugin keeps nothing of a Stream reachable, so a
 * long-lived process does not grow, and a stream dropped unread (or broken off) still ends its
 * span with `stream_abandoned` once it is garbage collected. In a child process started with
 * `--expose-gc`, against a loopback server serving a real recorded stream.
 */
import { decodeNockResponse, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, tracesIn } from "./child-app.js";

const recording = readNockRecording("chat-streaming-include-usage.json")[0]!;
const sse = decodeNockResponse(recording) as string;
const params = JSON.stringify({ ...(recording.body as object), stream: true });

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(sse);
  });
});
afterAll(() => server.close());

function runStreams(env: Record<string, string>) {
  const dir = scratchApp();
  return runNode<{ before: number; after: number; calls: number }>(
    dir,
    ["--expose-gc", appScript(dir, "stream-gc.mjs")],
    {
      OPENAI_BASE_URL: `${server.url}/v1`,
      STREAM_PARAMS: params,
      ...env,
    },
  );
}

describe("dropped streams", () => {
  it("are collected: 450 streams read, broken off or dropped unread grow the heap no more than untraced", async () => {
    const untraced = await runStreams({ STREAMS: "450", TRACED: "0" });
    const { out, db } = await runStreams({ STREAMS: "450" });
    const extraKb = (out.after - out.before - (untraced.out.after - untraced.out.before)) / 1024;
    // a retained Stream costs ~15 KB: 450 of them grew the heap by ~7 MB more than untraced
    expect(extraKb).toBeLessThan(1500);
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    const ends = traces.map((t) => t.data.spans[0]!.events.map((e) => e.name).at(-1));
    expect(ends.filter((e) => e === "stream_abandoned")).toHaveLength((out.calls / 3) * 2);
  }, 120_000);

  it("ends the span of a stream dropped unread with stream_abandoned after GC", async () => {
    const { out, db } = await runStreams({ STREAMS: "3", WAYS: "dropUnread" });
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const span = t.data.spans[0]!;
      expect(span.endTimeNs).not.toBeNull();
      expect(span.events.map((e) => [e.name, e.attributes.reason])).toEqual([["stream_abandoned", "never consumed"]]);
      expect(span.getAttribute("openai.stream.chunks")).toBe(0);
    }
  }, 60_000);

  it("ends the span of a call whose promise is dropped without ever being awaited, after GC", async () => {
    const { out, db } = await runStreams({ STREAMS: "3", WAYS: "neverAwaited" });
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const span = t.data.spans[0]!;
      expect(span.endTimeNs).not.toBeNull();
      expect(span.events.map((e) => e.name)).toEqual(["response_not_consumed"]);
      expect(span.outputs).toBeNull();
    }
  }, 60_000);
});
