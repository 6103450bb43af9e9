/**
 * The package as users load it: CommonJS apps (autolog before and after require), ESM apps started
 * with `--import @tracewright/anthropic/register` (plain and the stream() helper), and an ESM app
 * calling autolog after its imports; each in a child process whose node_modules holds the real
 * SDK and this package's built dist, against a loopback server serving a recorded reply.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, startRecordedAnthropicServer, tracesIn } from "./child-app.js";

const JOKE_START = "Sure! Here's a joke about OpenTelemetry";

let server: Awaited<ReturnType<typeof startRecordedAnthropicServer>>;
let dir: string;
beforeAll(async () => {
  server = await startRecordedAnthropicServer();
  dir = scratchApp();
});
afterAll(() => server.close());

async function runApp(fixture: string, nodeArgs: string[] = [], env: Record<string, string> = {}) {
  const { out, db } = await runNode<{ answer: string; trace: string | null }>(
    dir,
    [...nodeArgs, appScript(dir, fixture)],
    { ANTHROPIC_BASE_URL: server.url, ...env },
  );
  return { out, traces: tracesIn(db) };
}

describe("loading @tracewright/anthropic", () => {
  it.each([["1"], ["0"]])("traces a CommonJS app (autolog first: %s)", async (first) => {
    const { out, traces } = await runApp("use-anthropic.cjs", [], { AUTOLOG_FIRST: first });
    expect(out.answer.startsWith(JOKE_START)).toBe(true);
    expect(traces.map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`))).toEqual([
      ["Messages.create CHAT_MODEL"],
    ]);
    expect(traces[0]!.info.traceId).toBe(out.trace);
  });

  it.each([
    ["Messages.create", "0"],
    ["Messages.stream", "1"],
  ])("traces an ESM app started with --import @tracewright/anthropic/register (%s)", async (spanName, stream) => {
    const { out, traces } = await runApp("use-anthropic.mjs", ["--import", "@tracewright/anthropic/register"], {
      STREAM: stream,
    });
    expect(out.answer.length).toBeGreaterThan(10);
    expect(traces).toHaveLength(1);
    const span = traces[0]!.data.spans[0]!;
    expect(`${span.name} ${span.spanType}`).toBe(`${spanName} CHAT_MODEL`);
    expect(span.getAttribute("mlflow.chat.tokenUsage")).toMatchObject({ total_tokens: expect.any(Number) });
  });

  it("traces an ESM app that calls autolog after importing the SDK, once autolog resolves", async () => {
    const { out, traces } = await runApp("use-anthropic-autolog.mjs");
    expect(out.answer.startsWith(JOKE_START)).toBe(true);
    expect(traces.map((t) => t.data.spans[0]!.name)).toEqual(["Messages.create"]);
  });

  it.each([
    ["redact", 2],
    ["disable", 0],
    ["none", 2],
  ])(
    "applies autolog() called in CommonJS code to the register hook's patches too (%s)",
    async (configure, expected) => {
      const { out, db } = await runNode<{ answer: string; streamed: string }>(
        dir,
        ["--import", "@tracewright/anthropic/register", appScript(dir, "register-then-configure.cjs")],
        { ANTHROPIC_BASE_URL: server.url, CONFIGURE: configure },
      );
      expect(out.answer.startsWith(JOKE_START)).toBe(true);
      expect(out.streamed.length).toBeGreaterThan(10);
      const traces = tracesIn(db);
      expect(traces.map((t) => t.data.spans.map((s) => s.name)).sort()).toEqual(
        [["Messages.create"], ["Messages.stream"]].slice(0, expected),
      );
      const json = traces.map((t) => t.toJson()).join("");
      if (configure === "redact") expect(json).not.toContain("OpenTelemetry");
      if (configure === "none") expect(json).toContain("OpenTelemetry");
    },
  );
});
