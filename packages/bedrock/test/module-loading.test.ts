/**
 * The plugin as users load it: CommonJS apps (autolog before and after require), an ESM app
 * started with `--import @tracewright/bedrock/register`, and an ESM app calling autolog after its
 * imports; each in a child process with fake credentials from the environment, talking to a
 * fake Bedrock endpoint serving a hand-written Converse reply.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonReply } from "./bedrock-wire.js";
import { appScript, CHILD_ENV, runNode, scratchApp, tracesIn } from "./child-app.js";
import { type FakeBedrock, modelPath, startFakeBedrock } from "./fake-bedrock.js";

let bedrock: FakeBedrock;
let dir: string;
beforeAll(async () => {
  bedrock = await startFakeBedrock();
  bedrock.always(
    modelPath("anthropic.claude-3-5-sonnet-20240620-v1:0", "converse"),
    jsonReply("handwritten-bedrock-converse-tool-answer.json"),
  );
  dir = scratchApp();
});
afterAll(() => bedrock.close());

async function runApp(args: string[], env: Record<string, string> = {}) {
  const { out, db } = await runNode<{ answer: string; trace: string | null }>(dir, args, {
    ...CHILD_ENV,
    BEDROCK_ENDPOINT: bedrock.url,
    ...env,
  });
  const trace = tracesIn(db).find((t) => t.info.traceId === out.trace) ?? null;
  return { out, trace };
}

const ANSWER = "It is 12°C and light rain in Seattle right now, so bring an umbrella.";

describe("module loading", () => {
  it.each([["1"], ["0"]])("traces a CommonJS app (autolog first: %s)", async (first) => {
    const { out, trace } = await runApp([appScript(dir, "use-bedrock.cjs")], { AUTOLOG_FIRST: first });
    expect(out.answer).toBe(ANSWER);
    expect(trace?.data.spans.map((s) => `${s.name} ${s.spanType}`)).toEqual(["BedrockRuntime.converse CHAT_MODEL"]);
  });

  it("traces an ESM app started with --import @tracewright/bedrock/register", async () => {
    const { out, trace } = await runApp([
      "--import",
      "@tracewright/bedrock/register",
      appScript(dir, "use-bedrock.mjs"),
    ]);
    expect(out.answer).toBe(ANSWER);
    expect(trace?.data.spans.map((s) => `${s.name} ${s.spanType}`)).toEqual(["BedrockRuntime.converse CHAT_MODEL"]);
  });

  it("traces an ESM app that calls autolog after importing the SDK, once autolog resolves", async () => {
    const { out, trace } = await runApp([appScript(dir, "use-bedrock-autolog.mjs")]);
    expect(out.answer).toBe(ANSWER);
    expect(trace?.data.spans[0]?.name).toBe("BedrockRuntime.converse");
  });
});
