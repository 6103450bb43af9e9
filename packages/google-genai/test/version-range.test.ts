/**
 * The tested versions (`>=3.3.0 <4.0.0`) and what happens outside them: a real @google/genai 2
 * copy loaded by a CommonJS app is warned about once (however often autolog runs) and traced
 * anyway; 3.3 brings no warning. Child processes against a loopback server serving the recorded reply.
 */
import { harResponseText, readHar, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, dependencyDir, runNode, scratchApp, tracesIn } from "./child-app.js";

const reply = harResponseText(readHar("gemini-generate-content.har")[0]!);

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(reply);
  });
});
afterAll(() => server.close());

async function run(genaiDir: string) {
  const dir = scratchApp(genaiDir);
  const { out, db } = await runNode<{ answers: string[]; warnings: string[] }>(
    dir,
    [appScript(dir, "version-warning.cjs")],
    { GEMINI_BASE_URL: server.url },
  );
  expect(out.answers).toEqual(["4\n", "4\n"]);
  const versionWarnings = out.warnings.filter((w) => w.includes("is outside the versions"));
  return { versionWarnings, spans: tracesIn(db).map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`)) };
}

describe("@google/genai versions", () => {
  it("warns once about @google/genai 2, outside the tested range, and traces it anyway", async () => {
    const { versionWarnings, spans } = await run(dependencyDir("google-genai-v2"));
    expect(versionWarnings).toHaveLength(1);
    expect(versionWarnings[0]).toMatch(
      /^\[tracewright\/google-genai\] @google\/genai 2\.32\.0 is outside the versions @tracewright\/google-genai is tested with \(>=3\.3\.0 <4\.0\.0\)/,
    );
    expect(spans.sort()).toEqual([["Chat.sendMessage CHAT_MODEL"], ["Models.generateContent CHAT_MODEL"]]);
  });

  it("gives no warning for @google/genai 3.3, the tested version", async () => {
    const { versionWarnings, spans } = await run(dependencyDir("@google/genai"));
    expect(versionWarnings).toEqual([]);
    expect(spans.sort()).toEqual([["Chat.sendMessage CHAT_MODEL"], ["Models.generateContent CHAT_MODEL"]]);
  });
});
