/**
 * The tested versions (`>=1.15.0 <2.0.0`, run by this suite on 1.15.0) and what happens outside
 * them: a real 0.137.0 copy loaded by a CommonJS app is warned about once (however often autolog
 * runs) and traced anyway, plain and streamed; 1.15.0 brings no warning. Child processes against
 * a loopback server serving recorded replies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TESTED_VERSIONS } from "../src/index.js";
import { appScript, dependencyDir, runNode, scratchApp, startRecordedAnthropicServer, tracesIn } from "./child-app.js";

let server: Awaited<ReturnType<typeof startRecordedAnthropicServer>>;
beforeAll(async () => {
  server = await startRecordedAnthropicServer();
});
afterAll(() => server.close());

async function run(sdkDir: string) {
  const dir = scratchApp(sdkDir);
  const { out, db } = await runNode<{ answer: string; streamed: string; warnings: string[] }>(
    dir,
    [appScript(dir, "version-warning.cjs")],
    { ANTHROPIC_BASE_URL: server.url },
  );
  expect(out.answer.startsWith("Sure! Here's a joke about OpenTelemetry")).toBe(true);
  expect(out.streamed.startsWith("Hello! I'm doing well")).toBe(true);
  const versionWarnings = out.warnings.filter((w) => w.includes("is outside the versions"));
  const traces = tracesIn(db);
  return { versionWarnings, traces };
}

describe("@anthropic-ai/sdk versions", () => {
  it("declares the range the suite runs", async () => {
    const { version } = (await import(`${dependencyDir("@anthropic-ai/sdk")}/package.json`, { with: { type: "json" } }))
      .default as { version: string };
    expect(version).toBe("1.15.0");
    expect(TESTED_VERSIONS).toBe(">=1.15.0 <2.0.0");
  });

  it("warns once about 0.137.0, outside the tested range, and traces it anyway", async () => {
    const { versionWarnings, traces } = await run(dependencyDir("@anthropic-ai/sdk-v0"));
    expect(versionWarnings).toHaveLength(1);
    expect(versionWarnings[0]).toMatch(
      /^\[tracewright\/anthropic\] @anthropic-ai\/sdk 0\.137\.0 is outside the versions @tracewright\/anthropic is tested with \(>=1\.15\.0 <2\.0\.0\)/,
    );
    expect(traces.map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`)).sort()).toEqual([
      ["Messages.create CHAT_MODEL"],
      ["Messages.stream CHAT_MODEL"],
    ]);
  });

  it("gives no warning for 1.15.0 and records the plain and the streamed reply", async () => {
    const { versionWarnings, traces } = await run(dependencyDir("@anthropic-ai/sdk"));
    expect(versionWarnings).toEqual([]);
    expect(traces).toHaveLength(2);
    for (const t of traces) {
      expect(t.data.spans[0]!.getAttribute("mlflow.chat.tokenUsage")).toMatchObject({
        total_tokens: expect.any(Number),
      });
    }
  });
});
