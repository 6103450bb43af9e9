/**
 * Extended thinking through `beta.messages` (recorded thinking, redacted thinking) and tool use
 * (`tool_use` blocks in a reply, `tool_result` blocks in the next request) as MLflow's chat form.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { SpanAttributeKey } from "@tracewright/core";
import { spanTree } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { messagesOf, onlyTrace, recordedResponse, serveRecording, setupAnthropicTest, usageOf } from "./helpers.js";

const { store, client } = setupAnthropicTest();

const THINKING = "anthropic-thinking-non-streaming.json";
const THINKING_TOOL_USE = "anthropic-thinking-tool-use-non-streaming.json";

const weatherTool = {
  name: "get_weather",
  description: "Get the current weather in a given location",
  input_schema: {
    type: "object" as const,
    properties: { location: { type: "string", description: "The city" } },
    required: ["location"],
  },
};

describe("extended thinking (beta.messages)", () => {
  it("keeps the thinking block and its signature in the raw outputs, as MLflow records them", async () => {
    serveRecording(THINKING);
    const params = {
      model: "claude-sonnet-4-6",
      max_tokens: 2048,
      thinking: { type: "enabled" as const, budget_tokens: 1024 },
      betas: ["interleaved-thinking-2025-05-14"],
      messages: [{ role: "user" as const, content: "What is 27 * 453?" }],
    };
    const message = await client().beta.messages.create(params);
    expect(message.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(spanTree(t)).toEqual(["Messages.create (CHAT_MODEL) OK"]);
    expect(span.inputs).toEqual(params);
    expect(span.outputs).toEqual(JSON.parse(recordedResponse(THINKING).body));
    expect((span.outputs as Anthropic.Beta.BetaMessage).content[0]).toMatchObject({
      type: "thinking",
      thinking: expect.stringContaining("10,800 + 1,350 + 81 = 12,231"),
      signature: expect.stringMatching(/^EpwC/),
    });
    expect(span.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("anthropic");
    // the chat form has no place for thinking: the answer only
    const answer = messagesOf(span).at(-1)!;
    expect(answer.role).toBe("assistant");
    expect(answer.content).toEqual([{ type: "text", text: (message.content[1] as Anthropic.Beta.BetaTextBlock).text }]);
    // thinking tokens are output tokens
    expect(usageOf(span)).toMatchObject({ input_tokens: 52, output_tokens: 221, total_tokens: 273 });
  });

  it("keeps a redacted_thinking block in the outputs and leaves it out of the chat messages", async () => {
    serveRecording("handwritten-anthropic-redacted-thinking.json");
    const message = await client().beta.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING" }],
    });
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as Anthropic.Beta.BetaMessage).content[0]).toEqual(message.content[0]);
    expect(message.content[0]!.type).toBe("redacted_thinking");
    expect(messagesOf(span).at(-1)).toEqual({
      role: "assistant",
      content: [{ type: "text", text: "I can't share my reasoning on that, but the answer is 42." }],
    });
  });

  it("traces beta.messages.stream() once, with the streamed thinking rebuilt", async () => {
    serveRecording("handwritten-anthropic-streaming-thinking-tool-use.sse");
    const thinking: string[] = [];
    const stream = client()
      .beta.messages.stream({
        model: "claude-sonnet-4-6",
        max_tokens: 2048,
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [weatherTool],
        messages: [{ role: "user", content: "What is the weather in Paris?" }],
      })
      .on("thinking", (delta) => thinking.push(delta));
    const final = await stream.finalMessage();
    expect(thinking.join("")).toBe("The user wants the weather in Paris. I should call get_weather.");
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual(["Messages.stream (CHAT_MODEL) OK"]);
    const outputs = t.data.spans[0]!.outputs as Anthropic.Beta.BetaMessage;
    expect(outputs.content).toEqual(JSON.parse(JSON.stringify(final.content)));
  });
});

describe("beta.messages.parse()", () => {
  it("is traced once, through the create() it calls, and returns the SDK's parsed Message", async () => {
    serveRecording("anthropic-messages-joke.har");
    const parsed = await client().beta.messages.parse({
      model: "claude-3-opus-20240229",
      max_tokens: 1024,
      messages: [{ role: "user", content: "Tell me a joke about OpenTelemetry" }],
    });
    expect(parsed.parsed_output).toBeNull();
    const t = await onlyTrace(store());
    expect(spanTree(t)).toEqual(["Messages.create (CHAT_MODEL) OK"]);
    expect((t.data.spans[0]!.outputs as { id: string }).id).toBe(parsed.id);
  });
});

describe("tool use", () => {
  it("records the tools in MLflow's form and a tool_use reply as tool_calls", async () => {
    serveRecording(THINKING_TOOL_USE);
    await client().messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [weatherTool],
      messages: [{ role: "user", content: "What's the weather like in San Francisco?" }],
    });
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Get the current weather in a given location",
          parameters: weatherTool.input_schema,
        },
      },
    ]);
    expect(messagesOf(span).at(-1)).toEqual({
      role: "assistant",
      content: [{ type: "text", text: "Sure! Let me check the weather in San Francisco for you!" }],
      tool_calls: [
        {
          id: "toolu_01Lb15KzZHz63KFSjmBpc4Fx",
          type: "function",
          function: { name: "get_weather", arguments: '{"location":"San Francisco"}' },
        },
      ],
    });
    expect((span.outputs as Anthropic.Message).stop_reason).toBe("tool_use");
  });

  it("records a tool_use with no arguments", async () => {
    serveRecording("anthropic-messages-tool-no-args.json");
    await client().messages.create({
      model: "claude-3-opus-20240229",
      max_tokens: 1024,
      tools: [{ name: "updateIssueList", description: "Update the issue list", input_schema: { type: "object" } }],
      messages: [{ role: "user", content: "Update the issue list" }],
    });
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((messagesOf(span).at(-1)!.tool_calls as unknown[])[0]).toEqual({
      id: "toolu_01LRmxn9vGM1d2DZSDBowdZ1",
      type: "function",
      function: { name: "updateIssueList", arguments: "{}" },
    });
  });

  it("records the next turn's tool_result blocks as tool messages, after the assistant's tool call", async () => {
    serveRecording("handwritten-anthropic-weather-answer.json");
    const toolTurn = JSON.parse(recordedResponse(THINKING_TOOL_USE).body) as Anthropic.Message;
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: "claude-sonnet-4-6",
      max_tokens: 2048,
      tools: [weatherTool],
      messages: [
        { role: "user", content: "What's the weather like in San Francisco?" },
        { role: "assistant", content: toolTurn.content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01Lb15KzZHz63KFSjmBpc4Fx", content: "18°C, foggy" },
            { type: "text", text: "Answer in one sentence." },
          ],
        },
      ],
    };
    const answer = await client().messages.create(params);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.inputs).toEqual(JSON.parse(JSON.stringify(params)));
    expect(messagesOf(span).map((m) => [m.role, m.tool_call_id ?? null])).toEqual([
      ["user", null],
      ["assistant", null],
      ["tool", "toolu_01Lb15KzZHz63KFSjmBpc4Fx"],
      ["user", null],
      ["assistant", null],
    ]);
    expect(messagesOf(span)[2]!.content).toBe("18°C, foggy");
    expect(messagesOf(span)[3]!.content).toEqual([{ type: "text", text: "Answer in one sentence." }]);
    expect(messagesOf(span).at(-1)!.content).toEqual([
      { type: "text", text: (answer.content[0] as Anthropic.TextBlock).text },
    ]);
    expect(usageOf(span)).toMatchObject({ input_tokens: 712, output_tokens: 17 });
  });
});
