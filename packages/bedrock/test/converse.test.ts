/**
 * Converse through the real SDK against hand-written replies in AWS's documented format (no
 * recording covers Converse): a tool-using turn and the answer after the tool's result, as
 * `client.send(new ConverseCommand(...))` and as the aggregated client's `converse(...)`.
 */
import { BedrockRuntime, ConverseCommand, type ConverseCommandInput } from "@aws-sdk/client-bedrock-runtime";
import { withSpan } from "@tracewright/core";
import { storedTraces } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import {
  FAKE_CREDENTIALS,
  messagesOf,
  onlyTrace,
  replayConverse,
  setupBedrockTest,
  toolsOf,
  usageOf,
} from "./helpers.js";

const { store, bedrock, client: makeClient } = setupBedrockTest();

const MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const toolConfig = {
  tools: [
    {
      toolSpec: {
        name: "get_weather",
        description: "Current weather in a city",
        inputSchema: {
          json: {
            type: "object",
            properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
            required: ["city"],
          },
        },
      },
    },
  ],
};
const firstTurn: ConverseCommandInput = {
  modelId: MODEL,
  system: [{ text: "You are a concise weather assistant." }],
  messages: [{ role: "user", content: [{ text: "What's the weather in Seattle?" }] }],
  toolConfig,
  inferenceConfig: { maxTokens: 512, temperature: 0.2 },
};
/** The tool call in handwritten-bedrock-converse-tool-use.json. */
const toolUse = {
  toolUseId: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
  name: "get_weather",
  input: { city: "Seattle", unit: "celsius" },
};
const secondTurn: ConverseCommandInput = {
  ...firstTurn,
  messages: [
    ...(firstTurn.messages ?? []),
    { role: "assistant", content: [{ text: "I'll look up the current weather in Seattle for you." }, { toolUse }] },
    {
      role: "user",
      content: [
        { toolResult: { toolUseId: toolUse.toolUseId, content: [{ json: { tempC: 12, sky: "light rain" } }] } },
      ],
    },
  ],
};

describe("Converse", () => {
  it("records a CHAT_MODEL span named as MLflow names it, with tools, the tool call and usage", async () => {
    replayConverse(bedrock(), MODEL, "handwritten-bedrock-converse-tool-use.json");
    const output = await makeClient().send(new ConverseCommand(firstTurn));
    expect(output.stopReason).toBe("tool_use");
    expect(output.output?.message?.content?.[1]?.toolUse).toEqual(toolUse);

    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("BedrockRuntime.converse");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.status.statusCode).toBe("OK");
    expect(span.inputs).toEqual(firstTurn);
    expect(span.outputs).toMatchObject({ stopReason: "tool_use", output: output.output, usage: output.usage });
    expect(span.getAttribute("mlflow.message.format")).toBe("bedrock");
    expect(span.getAttribute("mlflow.llm.model")).toBe(MODEL);
    expect(span.getAttribute("mlflow.llm.provider")).toBe("bedrock");
    expect(span.getAttribute("maxTokens")).toBe(512);
    expect(span.getAttribute("http.response.status_code")).toBe(200);
    expect(toolsOf(span)).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather in a city",
          parameters: toolConfig.tools[0]!.toolSpec.inputSchema.json,
        },
      },
    ]);
    expect(usageOf(span)).toEqual({
      input_tokens: 412,
      output_tokens: 87,
      total_tokens: 499,
      cache_read_input_tokens: 256,
      cache_creation_input_tokens: 0,
    });
    expect(messagesOf(span)).toEqual([
      { role: "system", content: "You are a concise weather assistant." },
      { role: "user", content: "What's the weather in Seattle?" },
      {
        role: "assistant",
        content: "I'll look up the current weather in Seattle for you.",
        tool_calls: [
          {
            id: toolUse.toolUseId,
            type: "function",
            function: { name: "get_weather", arguments: JSON.stringify(toolUse.input) },
          },
        ],
      },
    ]);
  });

  it("turns a toolResult into a tool message, through the aggregated client's converse()", async () => {
    replayConverse(bedrock(), MODEL, "handwritten-bedrock-converse-tool-answer.json");
    const client = new BedrockRuntime({
      region: "us-east-1",
      endpoint: bedrock().url,
      credentials: FAKE_CREDENTIALS,
    });
    const output = await client.converse(secondTurn);
    expect(output.output?.message?.content?.[0]?.text).toMatch(/12°C/);
    client.destroy();
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("BedrockRuntime.converse");
    expect(messagesOf(span).slice(2)).toEqual([
      expect.objectContaining({ role: "assistant", tool_calls: [expect.objectContaining({ id: toolUse.toolUseId })] }),
      { role: "tool", tool_call_id: toolUse.toolUseId, content: JSON.stringify({ tempC: 12, sky: "light rain" }) },
      { role: "assistant", content: "It is 12°C and light rain in Seattle right now, so bring an umbrella." },
    ]);
    expect(usageOf(span)).toEqual({ input_tokens: 531, output_tokens: 24, total_tokens: 555 });
  });

  it("resolves send() to exactly what the untraced SDK resolves to", async () => {
    const client = makeClient();
    replayConverse(bedrock(), MODEL, "handwritten-bedrock-converse-tool-use.json");
    const traced = await client.send(new ConverseCommand(firstTurn));
    await autolog({ disable: true });
    let plain: unknown;
    try {
      replayConverse(bedrock(), MODEL, "handwritten-bedrock-converse-tool-use.json");
      plain = await client.send(new ConverseCommand(firstTurn));
    } finally {
      await autolog();
    }
    const withoutRequestId = (o: unknown) => ({ ...(o as object), $metadata: undefined });
    expect(withoutRequestId(traced)).toEqual(withoutRequestId(plain));
    expect(Object.keys(traced)).toEqual(Object.keys(plain as object));
    expect(Object.getPrototypeOf(traced)).toBe(Object.getPrototypeOf(plain));
    expect((await storedTraces(store())).length).toBe(1);
  });

  it("traces the callback form of send(), handing the callback the same output", async () => {
    replayConverse(bedrock(), MODEL, "handwritten-bedrock-converse-tool-use.json");
    const output = await new Promise<unknown>((resolve, reject) =>
      makeClient().send(new ConverseCommand(firstTurn), (err: unknown, data?: unknown) =>
        err ? reject(err) : resolve(data),
      ),
    );
    expect((output as { stopReason?: string }).stopReason).toBe("tool_use");
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("BedrockRuntime.converse");
    expect(usageOf(span)).toMatchObject({ total_tokens: 499 });
  });

  it("nests under the active span, and the client's own middleware stack is left as it was", async () => {
    const client = makeClient();
    const before = client.middlewareStack.identify();
    const command = new ConverseCommand(firstTurn);
    const commandBefore = command.middlewareStack.identify();
    replayConverse(bedrock(), MODEL, "handwritten-bedrock-converse-tool-use.json");
    await withSpan({ name: "agent" }, () => client.send(command));
    const trace = await onlyTrace(store());
    expect(trace.data.spans.map((s) => s.name)).toEqual(["agent", "BedrockRuntime.converse"]);
    expect(trace.data.spans[1]!.parentId).toBe(trace.data.spans[0]!.spanId);
    expect(client.middlewareStack.identify()).toEqual(before);
    expect(command.middlewareStack.identify().filter((n) => !commandBefore.includes(n))).not.toContainEqual(
      expect.stringContaining("tracewright"),
    );
  });
});
