/**
 * The tested versions (`>=5.0.0 <8.0.0`: openai 5, 6 and 7, each run by this suite) and what
 * happens outside them: a real openai 4 copy loaded by a CommonJS app is warned about once
 * (however often autolog runs, in CommonJS and ESM builds alike) and traced anyway; the tested
 * majors bring no warning. Child processes against a loopback server serving a recorded reply.
 */
import { decodeNockResponse, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, dependencyDir, nestedOpenAI5Dir, runNode, scratchApp, tracesIn } from "./child-app.js";

const reply = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(reply);
  });
});
afterAll(() => server.close());

async function run(openaiDir: string) {
  const dir = scratchApp(openaiDir);
  const { out, db } = await runNode<{ answer: string; warnings: string[] }>(
    dir,
    [appScript(dir, "version-warning.cjs")],
    { OPENAI_BASE_URL: `${server.url}/v1` },
  );
  expect(out.answer).toBe("Atlantic Ocean.");
  const versionWarnings = out.warnings.filter((w) => w.includes("is outside the versions"));
  return { versionWarnings, spans: tracesIn(db).map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`)) };
}

describe("openai versions", () => {
  it("warns once about openai 4, outside the tested range, and traces it anyway", async () => {
    const { versionWarnings, spans } = await run(dependencyDir("openai-v4"));
    expect(versionWarnings).toHaveLength(1);
    expect(versionWarnings[0]).toMatch(
      /^\[tracewright\/openai\] openai 4\.\d+\.\d+ is outside the versions @tracewright\/openai is tested with \(>=5\.0\.0 <8\.0\.0\)/,
    );
    expect(spans).toEqual([["Completions CHAT_MODEL"]]);
  });

  it.each([
    ["5", nestedOpenAI5Dir],
    ["6", () => dependencyDir("openai-v6")],
    ["7", () => dependencyDir("openai")],
  ])("gives no warning for openai %s, a tested major", async (_major, openaiDir) => {
    const { versionWarnings, spans } = await run(openaiDir());
    expect(versionWarnings).toEqual([]);
    expect(spans).toEqual([["Completions CHAT_MODEL"]]);
  });
});
