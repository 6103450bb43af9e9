/**
 * Streams the app drops are collected: the integration keeps nothing of a Stream reachable, so a
 * long-lived process does not grow, and a stream dropped unread (or broken off) still ends its
 * span with `stream_abandoned` once it is garbage collected. In a child process started with
 * `--expose-gc`, against a loopback server serving a real recorded stream.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, startRecordedAnthropicServer, tracesIn } from "./child-app.js";

let server: Awaited<ReturnType<typeof startRecordedAnthropicServer>>;
beforeAll(async () => {
  server = await startRecordedAnthropicServer();
});
afterAll(() => server.close());

function runStreams(env: Record<string, string>) {
  const dir = scratchApp();
  return runNode<{ before: number; after: number; calls: number }>(
    dir,
    ["--expose-gc", appScript(dir, "stream-gc.mjs")],
    { ANTHROPIC_BASE_URL: server.url, ...env },
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
    const { out, db } = await runStreams({ STREAMS: "3", WAYS: "dropUnread" });
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const span = t.data.spans[0]!;
      expect(span.endTimeNs).not.toBeNull();
      expect(span.events.map((e) => [e.name, e.attributes.reason])).toEqual([["stream_abandoned", "never consumed"]]);
      expect(span.getAttribute("anthropic.stream.events")).toBe(0);
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

  it("ends every stream() helper's span completed, with its usage", async () => {
    const { out, db } = await runStreams({ STREAMS: "3", WAYS: "helper" });
    const traces = tracesIn(db);
    expect(traces).toHaveLength(out.calls);
    for (const t of traces) {
      const span = t.data.spans[0]!;
      expect(span.events.map((e) => e.name)).toEqual(["first_chunk"]);
      expect(span.getAttribute("mlflow.chat.tokenUsage")).toMatchObject({ input_tokens: 12, output_tokens: 30 });
    }
  }, 60_000);
});
