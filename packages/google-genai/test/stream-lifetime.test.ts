/**
 * Streams the app drops are collected: the plugin keeps nothing of a generator reachable, so a
 * long-lived process does not grow, and a stream dropped unread (or never awaited) still ends its
 * span with `stream_abandoned` once it is garbage collected. In a child process started with
 * `--expose-gc`, against a loopback server serving a stream in Gemini's SSE format.
 */
import { readRecordingText, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, tracesIn } from "./child-app.js";

const sse = readRecordingText("handwritten-gemini-stream.sse");

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
      GEMINI_BASE_URL: server.url,
      ...env,
    },
  );
}

const lastEvent = (events: ReadonlyArray<{ name: string; attributes: Record<string, unknown> }>) => {
  const e = events.at(-1);
  return e ? [e.name, e.attributes.reason ?? null] : null;
};

describe("dropped streams", () => {
  it("are collected: 450 streams read, broken off or dropped unread grow the heap no more than untraced", async () => {
    const untraced = await runStreams({ STREAMS: "450", TRACED: "0" });
    const { out, db } = await runStreams({ STREAMS: "450" });
    const extraKb = (out.after - out.before - (untraced.out.after - untraced.out.before)) / 1024;
    expect(extraKb).toBeLessThan(1500);
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    const ends = traces.map((t) => lastEvent(t.data.spans[0]!.events));
    expect(ends.filter((e) => e?.[0] === "stream_abandoned")).toHaveLength((out.calls / 3) * 2);
    expect(traces.every((t) => t.data.spans[0]!.endTimeNs !== null)).toBe(true);
  }, 120_000);

  it("ends the span of a stream dropped unread, or never awaited, with stream_abandoned after GC", async () => {
    const { out, db } = await runStreams({ STREAMS: "4", WAYS: "dropUnread,neverAwaited" });
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const span = t.data.spans[0]!;
      expect(span.endTimeNs).not.toBeNull();
      expect(span.events.map((e) => [e.name, e.attributes.reason])).toEqual([["stream_abandoned", "never consumed"]]);
      expect(span.getAttribute("gemini.stream.chunks")).toBe(0);
    }
  }, 60_000);
});
