/**
 * The tested versions (`TESTED_VERSIONS`: 3.600.0 and 3.1164.0 run in this suite) and what
 * happens outside them: a copy whose package.json names a version outside the range (the real
 * SDK's files under another version number, as no older release is installed) is warned about
 * once, however often autolog runs, and traced anyway; the tested copy brings no warning.
 * Child processes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TESTED_VERSIONS } from "../src/index.js";
import { jsonReply } from "./bedrock-wire.js";
import { appScript, CHILD_ENV, relabelledSdk, runNode, scratchApp, tracesIn } from "./child-app.js";
import { type FakeBedrock, modelPath, startFakeBedrock } from "./fake-bedrock.js";

let bedrock: FakeBedrock;
beforeAll(async () => {
  bedrock = await startFakeBedrock();
  bedrock.always(
    modelPath("anthropic.claude-3-5-sonnet-20240620-v1:0", "converse"),
    jsonReply("handwritten-bedrock-converse-tool-answer.json"),
  );
});
afterAll(() => bedrock.close());

async function run(sdkDir?: string) {
  const dir = scratchApp(sdkDir);
  const { out, db } = await runNode<{ answer: string; warnings: string[] }>(
    dir,
    [appScript(dir, "version-warning.cjs")],
    {
      ...CHILD_ENV,
      BEDROCK_ENDPOINT: bedrock.url,
    },
  );
  expect(out.answer).toMatch(/^It is 12°C/);
  const versionWarnings = out.warnings.filter((w) => w.includes("is outside the versions"));
  return { versionWarnings, spans: tracesIn(db).map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`)) };
}

describe("SDK versions", () => {
  it("warns once about a version outside the tested range, and traces it anyway", async () => {
    const { versionWarnings, spans } = await run(relabelledSdk("3.500.0"));
    expect(versionWarnings).toEqual([
      expect.stringMatching(
        /^\[tracewright\/bedrock\] @aws-sdk\/client-bedrock-runtime 3\.500\.0 is outside the versions @tracewright\/bedrock is tested with/,
      ),
    ]);
    expect(versionWarnings[0]).toContain(`(${TESTED_VERSIONS})`);
    expect(spans).toEqual([["BedrockRuntime.converse CHAT_MODEL"]]);
  });

  it("gives no warning for the tested version", async () => {
    const { versionWarnings, spans } = await run();
    expect(versionWarnings).toEqual([]);
    expect(spans).toEqual([["BedrockRuntime.converse CHAT_MODEL"]]);
  });
});
