/**
 * The kit's uniform behaviour, as every Tracewright integration has it, for Bedrock: idempotent
 * autolog, `disable` putting back the very original `resolveMiddleware` of each command class,
 * `recordContent: false` keeping no prompt or answer text on any operation, and `redact`
 * applied to every span (inputs, outputs, chat messages, streams).
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { withSpan } from "@tracewright/core";
import { storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { readEventsRecording } from "./bedrock-wire.js";
import {
  messagesOf,
  onlyTrace,
  replayConverse,
  replayHarExchanges,
  replayStream,
  setupBedrockTest,
  usageOf,
} from "./helpers.js";

const { store, bedrock, client } = setupBedrockTest();

const ORIGINAL = Symbol.for("tracewright.bedrock.original");
const COMMANDS = [ConverseCommand, ConverseStreamCommand, InvokeModelCommand, InvokeModelWithResponseStreamCommand];
type Resolve = { [ORIGINAL]?: unknown };
const resolveOf = (cls: { prototype: object }) => (cls.prototype as { resolveMiddleware: Resolve }).resolveMiddleware;

const CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const PROMPT = "What's the weather in Seattle?";
const converseInput = { modelId: CLAUDE, messages: [{ role: "user" as const, content: [{ text: PROMPT }] }] };

/** One call per operation, each consumed; returns the reply texts. */
async function callEveryOperation(): Promise<string[]> {
  const c = client();
  const answers: string[] = [];
  replayConverse(bedrock(), CLAUDE, "handwritten-bedrock-converse-tool-use.json");
  answers.push(String((await c.send(new ConverseCommand(converseInput))).output?.message?.content?.[0]?.text));
  replayStream(
    bedrock(),
    CLAUDE,
    "converse-stream",
    readEventsRecording("handwritten-bedrock-converse-stream-tool-use.events.json"),
  );
  let streamed = "";
  for await (const e of (await c.send(new ConverseStreamCommand(converseInput))).stream!) {
    streamed += e.contentBlockDelta?.delta?.text ?? "";
  }
  answers.push(streamed);
  const [titan] = replayHarExchanges(bedrock(), "bedrock-invoke-titan-text.har");
  const out = await c.send(
    new InvokeModelCommand({ modelId: "amazon.titan-text-express-v1", body: titan!.requestBody }),
  );
  answers.push(
    (JSON.parse(out.body.transformToString()) as { results: Array<{ outputText: string }> }).results[0]!.outputText,
  );
  const [cohere] = replayHarExchanges(bedrock(), "bedrock-invoke-stream-cohere-command.har");
  const stream = await c.send(
    new InvokeModelWithResponseStreamCommand({ modelId: "cohere.command-text-v14", body: cohere!.requestBody }),
  );
  for await (const e of stream.body!) {
    answers.push(
      (JSON.parse(Buffer.from(e.chunk!.bytes!).toString()) as { generations: Array<{ text: string }> }).generations[0]!
        .text,
    );
  }
  return answers.map((a) => a.trim().slice(0, 40));
}

const PROMPTS = [PROMPT, "What are the 4 cardinal directions?"];

describe("bedrock on the integration kit", () => {
  it("resolves autolog() to the kit's status, and a second autolog() still records one span per call", async () => {
    const first = await autolog();
    const second = await autolog();
    expect(first).toMatchObject({ integration: "bedrock", enabled: true });
    expect(second).toMatchObject({ integration: "bedrock", enabled: true });
    replayConverse(bedrock(), CLAUDE, "handwritten-bedrock-converse-tool-use.json");
    replayConverse(bedrock(), CLAUDE, "handwritten-bedrock-converse-tool-use.json");
    await withSpan({ name: "root" }, async () => {
      await client().send(new ConverseCommand(converseInput));
      await client().send(new ConverseCommand(converseInput));
    });
    expect((await onlyTrace(store())).data.spans.map((s) => s.name)).toEqual([
      "root",
      "BedrockRuntime.converse",
      "BedrockRuntime.converse",
    ]);
  });

  it("puts back the very original methods on disable (===), records nothing while off, and patches again after", async () => {
    const originals = COMMANDS.map((c) => resolveOf(c)[ORIGINAL]);
    expect(originals.every((o) => typeof o === "function")).toBe(true);
    await expect(autolog({ disable: true })).resolves.toMatchObject({ enabled: false });
    try {
      for (const [i, c] of COMMANDS.entries()) {
        expect(resolveOf(c)).toBe(originals[i]);
        expect(Object.hasOwn(c.prototype, "resolveMiddleware")).toBe(false); // inherited again, as before
      }
      replayConverse(bedrock(), CLAUDE, "handwritten-bedrock-converse-tool-use.json");
      await client().send(new ConverseCommand(converseInput));
      expect(await storedTraces(store())).toEqual([]);
    } finally {
      await autolog();
    }
    for (const [i, c] of COMMANDS.entries()) expect(resolveOf(c)[ORIGINAL]).toBe(originals[i]);
  });

  it("leaves a client with cacheMiddleware untraced after disable (its cached handler passes through)", async () => {
    const c = client({ cacheMiddleware: true });
    replayConverse(bedrock(), CLAUDE, "handwritten-bedrock-converse-tool-use.json");
    await c.send(new ConverseCommand(converseInput));
    await autolog({ disable: true });
    try {
      replayConverse(bedrock(), CLAUDE, "handwritten-bedrock-converse-tool-use.json");
      await c.send(new ConverseCommand(converseInput));
    } finally {
      await autolog();
    }
    expect(await storedTraces(store())).toHaveLength(1);
  });

  it("records no prompt or answer text with recordContent: false, on every operation", async () => {
    await autolog({ recordContent: false });
    let answers: string[];
    try {
      answers = await callEveryOperation();
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces.map((t) => t.data.spans[0]!.name).sort()).toEqual([
      "BedrockRuntime.converse",
      "BedrockRuntime.converse_stream",
      "BedrockRuntime.invoke_model",
      "BedrockRuntime.invoke_model_with_response_stream",
    ]);
    expect(answers.filter((a) => a.length > 10)).toHaveLength(4);
    for (const t of traces) {
      const json = t.toJson();
      for (const text of [...PROMPTS, ...answers]) expect(json).not.toContain(text);
      const span = t.data.spans[0]!;
      expect(span.inputs ?? null).toBeNull();
      expect(span.outputs ?? null).toBeNull();
      expect(span.getAttribute("mlflow.llm.model")).toEqual(expect.any(String));
      expect(usageOf(span)).toMatchObject({ total_tokens: expect.any(Number) });
      expect(messagesOf(span).map((m) => m.role)).toEqual(expect.arrayContaining(["user", "assistant"]));
    }
  });

  it("applies redact to every span: inputs, outputs, messages, streams", async () => {
    const seen = new Set<string>();
    await autolog({
      redact: (value, { target, key }) => {
        seen.add(key ?? target);
        const json = JSON.stringify(value);
        return json === undefined ? value : JSON.parse(json.replace(/Seattle|cardinal|north/gi, "[redacted]"));
      },
    });
    try {
      await callEveryOperation();
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(4);
    for (const t of traces) {
      expect(t.toJson()).not.toMatch(/Seattle|cardinal|north/i);
      expect(t.toJson()).toContain("[redacted]");
    }
    expect(seen).toContain("inputs");
    expect(seen).toContain("outputs");
    expect(seen).toContain("mlflow.chat.messages");
  });
});
