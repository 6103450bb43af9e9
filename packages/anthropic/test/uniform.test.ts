/**
 * The kit's uniform behaviour, as every Tracewright integration has it, for the Anthropic SDK:
 * idempotent autolog, `disable` putting back the very original methods, `logTraces: false`,
 * `recordContent: false` keeping no prompt or answer text, and `redact` applied to every span
 * (plain, streamed, thinking, tool use, token counts) with recorded HTTP.
 */
import Anthropic from "@anthropic-ai/sdk";
import { disableTracing, enableTracing, withSpan } from "@tracewright/core";
import { REDACTION_FAILED } from "@tracewright/core/instrumentation";
import { spanTree, storedTraces } from "@tracewright/testing";
import { describe, expect, it, vi } from "vitest";
import { autolog, instrumentAnthropicModule } from "../src/index.js";
import {
  API_KEY,
  messagesOf,
  onlyTrace,
  recordedRequest,
  serveRecording,
  setupAnthropicTest,
  usageOf,
} from "./helpers.js";

const { store, client } = setupAnthropicTest();

const ORIGINAL = Symbol.for("tracewright.anthropic.original");
type Method = { [ORIGINAL]?: unknown };
type Name = "create" | "stream" | "countTokens";
type Proto = Record<Name, Method>;
const sdk = Anthropic as unknown as { Messages: { prototype: Proto }; Beta: { Messages: { prototype: Proto } } };
const patchedMethods = (): Array<[Proto, Name]> =>
  [sdk.Messages.prototype, sdk.Beta.Messages.prototype].flatMap((p) =>
    (["create", "stream", "countTokens"] as const).map((name): [Proto, Name] => [p, name]),
  );

const JOKE = "anthropic-messages-joke.har";
const joke = () => recordedRequest(JOKE) as unknown as Anthropic.MessageCreateParamsNonStreaming;

/** One call of each kind, each consumed: plain, streamed helper, thinking + tool use, tool result turn, countTokens. */
async function callEveryKind(c: Anthropic): Promise<string[]> {
  const answers: string[] = [];
  serveRecording(JOKE);
  answers.push((((await c.messages.create(joke())).content[0] as Anthropic.TextBlock) ?? { text: "" }).text);
  serveRecording("anthropic-messages-text.chunks.txt");
  answers.push(
    await c.messages
      .stream({
        model: "claude-sonnet-4-5-20250929",
        max_tokens: 100,
        messages: [{ role: "user", content: "Hello, fish" }],
      })
      .finalText(),
  );
  serveRecording("anthropic-thinking-tool-use-non-streaming.json");
  const toolTurn = await c.beta.messages.create({
    model: "claude-sonnet-4-6",
    max_tokens: 2048,
    thinking: { type: "enabled", budget_tokens: 1024 },
    tools: [{ name: "get_weather", description: "Weather in a city", input_schema: { type: "object" } }],
    messages: [{ role: "user", content: "Weather in San Francisco, fish?" }],
  });
  serveRecording("handwritten-anthropic-weather-answer.json");
  const answer = await c.messages.create({
    model: "claude-sonnet-4-6",
    max_tokens: 2048,
    system: "You are a fish forecaster",
    messages: [
      { role: "user", content: "Weather in San Francisco, fish?" },
      { role: "assistant", content: toolTurn.content as Anthropic.ContentBlockParam[] },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_01Lb15KzZHz63KFSjmBpc4Fx", content: "foggy fish" }],
      },
    ],
  });
  answers.push((answer.content[0] as Anthropic.TextBlock).text);
  serveRecording("handwritten-anthropic-count-tokens.json", { path: "/v1/messages/count_tokens" });
  await c.messages.countTokens({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "fish count" }] });
  return answers;
}

/** The texts the requests above send. */
const PROMPTS = [
  "Tell me a joke about OpenTelemetry",
  "Hello, fish",
  "Weather in San Francisco, fish?",
  "foggy fish",
  "fish count",
  "You are a fish forecaster",
];

describe("the anthropic integration on the kit", () => {
  it("resolves autolog() to the kit's status, and a second autolog() still records one span per call", async () => {
    const first = await autolog();
    const second = await autolog();
    expect(first).toMatchObject({ integration: "anthropic", enabled: true });
    expect(second).toMatchObject({ integration: "anthropic", enabled: true });
    serveRecording(JOKE);
    serveRecording(JOKE);
    await withSpan({ name: "root" }, async () => {
      await client().messages.create(joke());
      await client().messages.create(joke());
    });
    expect(spanTree(await onlyTrace(store()))).toEqual([
      "root (UNKNOWN) OK",
      "  Messages.create (CHAT_MODEL) OK",
      "  Messages.create (CHAT_MODEL) OK",
    ]);
  });

  it("puts back the very original methods on disable (===), and patches them again after", async () => {
    const originals = patchedMethods().map(([p, name]) => p[name][ORIGINAL]);
    expect(originals.every((o) => typeof o === "function")).toBe(true);
    await expect(autolog({ disable: true })).resolves.toMatchObject({ enabled: false });
    try {
      for (const [i, [p, name]] of patchedMethods().entries()) expect(p[name]).toBe(originals[i]);
      serveRecording(JOKE);
      await client().messages.create(joke());
      expect(await storedTraces(store())).toHaveLength(0);
    } finally {
      await autolog();
    }
    for (const [i, [p, name]] of patchedMethods().entries()) expect(p[name][ORIGINAL]).toBe(originals[i]);
    serveRecording(JOKE);
    await client().messages.create(joke());
    expect(await storedTraces(store())).toHaveLength(1);
  });

  it("patches a module object given to instrumentAnthropicModule: six methods, none twice", async () => {
    expect(instrumentAnthropicModule({ Anthropic })).toBe(0); // autolog patched this copy already
    await autolog({ disable: true });
    try {
      expect(instrumentAnthropicModule({ Anthropic })).toBe(6); // create, stream, countTokens × stable, beta
      expect(instrumentAnthropicModule({ default: Anthropic })).toBe(0);
      serveRecording(JOKE);
      await client().messages.create(joke()); // patched, but autolog is off: nothing recorded
      expect(await storedTraces(store())).toHaveLength(0);
    } finally {
      await autolog();
    }
    serveRecording(JOKE);
    await client().messages.create(joke());
    expect(spanTree(await onlyTrace(store()))).toEqual(["Messages.create (CHAT_MODEL) OK"]);
  });

  it("records nothing with logTraces: false, or while tracing is disabled, and the call still answers", async () => {
    await autolog({ logTraces: false });
    try {
      serveRecording(JOKE);
      await client().messages.create(joke());
    } finally {
      await autolog();
    }
    disableTracing();
    try {
      serveRecording(JOKE);
      const r = await client().messages.create(joke());
      expect(r.id).toBe("msg_01ABEG1nJ4BqCbQR4BUANnCB");
    } finally {
      enableTracing();
    }
    expect(await storedTraces(store())).toHaveLength(0);
  });

  it("records no prompt, system prompt, thinking or answer text with recordContent: false", async () => {
    await autolog({ recordContent: false });
    let answers: string[];
    try {
      answers = await callEveryKind(client());
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces.map((t) => t.data.spans[0]!.name).sort()).toEqual([
      "Messages.countTokens",
      "Messages.create",
      "Messages.create",
      "Messages.create",
      "Messages.stream",
    ]);
    expect(answers.every((a) => a.length > 10)).toBe(true);
    for (const t of traces) {
      const json = t.toJson();
      for (const text of [...PROMPTS, ...answers, "San Francisco", "signature"]) expect(json).not.toContain(text);
      const span = t.data.spans[0]!;
      expect(span.inputs ?? null).toBeNull();
      expect(span.outputs ?? null).toBeNull();
      expect(span.getAttribute("mlflow.llm.model")).toEqual(expect.any(String));
    }
    // the structure stays: roles, tool names and ids, and the usage the trace counts
    const toolTurn = traces.find((t) => messagesOf(t.data.spans[0]!)?.length === 5)!.data.spans[0]!;
    expect(messagesOf(toolTurn).map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant"]);
    expect(messagesOf(toolTurn)[2]!.tool_calls).toEqual([
      { id: "toolu_01Lb15KzZHz63KFSjmBpc4Fx", type: "function", function: { name: "get_weather" } },
    ]);
    expect(usageOf(toolTurn)).toMatchObject({ total_tokens: 729 });
  });

  it("applies redact to every span: plain, streamed, thinking, tool use and token counts, messages included", async () => {
    const seen = new Set<string>();
    await autolog({
      redact: (value, { target, key }) => {
        seen.add(key ?? target);
        const json = JSON.stringify(value);
        return json === undefined ? value : JSON.parse(json.replace(/fish|OpenTelemetry|San Francisco/g, "[redacted]"));
      },
    });
    try {
      await callEveryKind(client());
    } finally {
      await autolog();
    }
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(5);
    for (const t of traces) {
      expect(t.toJson()).not.toMatch(/fish|OpenTelemetry|San Francisco/);
      expect(t.toJson()).toContain("[redacted]");
    }
    for (const key of ["inputs", "outputs", "mlflow.chat.messages", "mlflow.chat.tools", "system"])
      expect(seen).toContain(key);
    expect(seen).not.toContain("mlflow.chat.tokenUsage"); // structure, not the user's data
  });

  it("keeps the call working when the redact function throws, drops the values and logs it once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await autolog({
      redact: () => {
        throw new Error("redactor bug");
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        serveRecording(JOKE);
        const r = await client().messages.create(joke());
        expect(r.id).toBe("msg_01ABEG1nJ4BqCbQR4BUANnCB");
      }
    } finally {
      await autolog();
    }
    const lines = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(2);
    for (const t of traces) {
      expect(t.data.spans[0]!.inputs).toBe(REDACTION_FAILED);
      expect(t.data.spans[0]!.outputs).toBe(REDACTION_FAILED);
      expect(t.toJson()).not.toContain("OpenTelemetry");
    }
    const logged = lines.filter((line) => line.includes("a redactor threw"));
    expect(logged.length).toBeGreaterThan(0);
    expect(new Set(logged).size).toBe(logged.length);
  });

  it("never records the API key or the x-api-key header", async () => {
    serveRecording(JOKE);
    const c = new Anthropic({ apiKey: API_KEY, maxRetries: 0 });
    await c.messages.create(joke(), { headers: { "x-api-key": API_KEY } });
    expect((await onlyTrace(store())).toJson()).not.toContain(API_KEY);
  });
});
