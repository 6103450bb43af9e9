/**
 * Streams the app drops are collected: the plugin keeps nothing of an event stream reachable, so
 * a long-lived process does not grow, and a stream dropped unread still ends its span with
 * `stream_abandoned` once it is garbage collected. In a child process started with
 * `--expose-gc`, against a fake Bedrock endpoint serving the hand-written event streams.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventStreamReply, readEventsRecording } from "./bedrock-wire.js";
import { appScript, CHILD_ENV, runNode, scratchApp, tracesIn } from "./child-app.js";
import { type FakeBedrock, modelPath, startFakeBedrock } from "./fake-bedrock.js";

const MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0";
let bedrock: FakeBedrock;
beforeAll(async () => {
  bedrock = await startFakeBedrock();
  bedrock.always(
    modelPath(MODEL, "converse-stream"),
    eventStreamReply(readEventsRecording("handwritten-bedrock-converse-stream-tool-use.events.json")),
  );
  bedrock.always(
    modelPath(MODEL, "invoke-with-response-stream"),
    eventStreamReply(readEventsRecording("handwritten-bedrock-invoke-stream-anthropic-messages.events.json")),
  );
});
afterAll(() => bedrock.close());

function runStreams(env: Record<string, string>) {
  const dir = scratchApp();
  return runNode<{ before: number; after: number; calls: number }>(
    dir,
    ["--expose-gc", appScript(dir, "stream-gc.mjs")],
    {
      ...CHILD_ENV,
      BEDROCK_ENDPOINT: bedrock.url,
      ...env,
    },
  );
}

describe("dropped streams", () => {
  it("are collected: 300 streams read, broken off or dropped unread grow the heap no more than untraced", async () => {
    const untraced = await runStreams({ STREAMS: "300", TRACED: "0" });
    const { out, db } = await runStreams({ STREAMS: "300" });
    const extraKb = (out.after - out.before - (untraced.out.after - untraced.out.before)) / 1024;
    expect(extraKb).toBeLessThan(1500);
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    const ends = traces.map((t) => t.data.spans[0]!.events.map((e) => e.name).at(-1));
    expect(ends.filter((e) => e === "stream_abandoned")).toHaveLength((out.calls / 3) * 2);
  }, 120_000);

  it("ends the span of a stream dropped unread with stream_abandoned after GC", async () => {
    const { out, db } = await runStreams({ STREAMS: "4", WAYS: "dropUnread" });
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const span = t.data.spans[0]!;
      expect(span.endTimeNs).not.toBeNull();
      expect(span.events.map((e) => [e.name, e.attributes.reason])).toEqual([["stream_abandoned", "never consumed"]]);
      expect(span.getAttribute("bedrock.stream.events")).toBe(0);
    }
  }, 60_000);
});
