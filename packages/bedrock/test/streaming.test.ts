/**
 * The streaming operations through the real SDK: InvokeModelWithResponseStream replaying the
 * recorded Titan and Cohere event streams (exact bytes) and a hand-written Anthropic Messages
 * stream, ConverseStream replaying a hand-written tool-use stream encoded with the SDK's own
 * event-stream codec. The user reads the very iterable the SDK built, event for event, byte for
 * byte; the span ends with the reply rebuilt, or with `stream_abandoned` when the user breaks off.
 */
import { isProxy } from "node:util/types";
import {
  ConverseStreamCommand,
  type ConverseStreamOutput,
  InvokeModelWithResponseStreamCommand,
  type ResponseStream,
} from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { readEventsRecording } from "./bedrock-wire.js";
import { messagesOf, onlyTrace, replayHarExchanges, replayStream, setupBedrockTest, usageOf } from "./helpers.js";

const { store, bedrock, client } = setupBedrockTest();

const CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1:0";
const anthropicStream = readEventsRecording("handwritten-bedrock-invoke-stream-anthropic-messages.events.json");
const converseEvents = readEventsRecording("handwritten-bedrock-converse-stream-tool-use.events.json");
const converseInput = {
  modelId: CLAUDE,
  messages: [{ role: "user" as const, content: [{ text: "What's the weather in Seattle?" }] }],
  toolConfig: {
    tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } }],
  },
};

async function readAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("InvokeModelWithResponseStream", () => {
  it.each([
    ["bedrock-invoke-stream-titan-text.har", { input_tokens: 8, output_tokens: 17, total_tokens: 25 }, /^\nThe four/],
    [
      "bedrock-invoke-stream-cohere-command.har",
      { input_tokens: 7, output_tokens: 149, total_tokens: 156 },
      /^ The four/,
    ],
  ])(
    "passes %s through byte for byte and records its usage from the invocation metrics",
    async (recording, usage, reply) => {
      const [exchange] = replayHarExchanges(bedrock(), recording);
      const modelId = decodeURIComponent(exchange!.url.pathname.split("/")[2]!);
      const output = await client().send(
        new InvokeModelWithResponseStreamCommand({
          modelId,
          body: exchange!.requestBody,
          contentType: "application/json",
        }),
      );
      expect(isProxy(output.body)).toBe(false);
      const events = await readAll(output.body!);
      // the recorded stream holds one event (prelude, headers, payload, CRC); its payload is
      // {"bytes": base64(JSON)}, which the user gets decoded
      const payload = JSON.parse(exchange!.body.subarray(12 + exchange!.body.readUInt32BE(4), -4).toString()) as {
        bytes: string;
      };
      expect(events).toHaveLength(1);
      expect(Buffer.from(events[0]!.chunk!.bytes!).equals(Buffer.from(payload.bytes, "base64"))).toBe(true);

      const span = (await onlyTrace(store())).data.spans[0]!;
      expect(span.name).toBe("BedrockRuntime.invoke_model_with_response_stream");
      expect(span.spanType).toBe("CHAT_MODEL");
      expect(span.status.statusCode).toBe("OK");
      expect(span.events.map((e) => e.name)).toEqual(["first_chunk"]);
      expect(usageOf(span)).toEqual(usage);
      expect(messagesOf(span)[1]).toEqual({ role: "assistant", content: expect.stringMatching(reply) });
      expect((span.outputs as { body: unknown[] }).body).toEqual([
        JSON.parse(Buffer.from(payload.bytes, "base64").toString()),
      ]);
    },
  );

  it("adds up an Anthropic Messages stream: text deltas, usage from the invocation metrics", async () => {
    replayStream(bedrock(), CLAUDE, "invoke-with-response-stream", anthropicStream);
    const body = JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 256,
      messages: [{ role: "user", content: "Name a landmark in the most populous US city." }],
    });
    const output = await client().send(new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE, body }));
    const events = await readAll(output.body as AsyncIterable<ResponseStream>);
    expect(events.map((e) => Buffer.from(e.chunk!.bytes!).toString("base64"))).toEqual(
      anthropicStream.map((e) => (e.payload as { bytes: string }).bytes),
    );
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(messagesOf(span)).toEqual([
      { role: "user", content: "Name a landmark in the most populous US city." },
      { role: "assistant", content: "The Statue of Liberty in New York City." },
    ]);
    expect(usageOf(span)).toEqual({ input_tokens: 21, output_tokens: 12, total_tokens: 33 });
    expect(span.getAttribute("bedrock.stream.events")).toBe(anthropicStream.length);
  });

  it("ends the span with stream_abandoned when the user breaks off, keeping what arrived", async () => {
    replayStream(bedrock(), CLAUDE, "invoke-with-response-stream", anthropicStream);
    const body = JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 256, messages: [] });
    const output = await client().send(new InvokeModelWithResponseStreamCommand({ modelId: CLAUDE, body }));
    let seen = 0;
    for await (const _ of output.body!) if (++seen === 3) break;
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => [e.name, e.attributes.reason])).toEqual([
      ["first_chunk", undefined],
      ["stream_abandoned", "abandoned"],
    ]);
    expect(span.getAttribute("bedrock.stream.events")).toBe(3);
    expect(messagesOf(span).at(-1)).toEqual({ role: "assistant", content: "The Statue" });
    // what the stream had reported when it was broken off: message_start's counts
    expect(usageOf(span)).toMatchObject({ input_tokens: 21, output_tokens: 1 });
  });
});

describe("ConverseStream", () => {
  it("rebuilds the streamed message (text and tool call) and records the metadata's usage", async () => {
    replayStream(bedrock(), CLAUDE, "converse-stream", converseEvents);
    const output = await client().send(new ConverseStreamCommand(converseInput));
    const events = await readAll(output.stream as AsyncIterable<ConverseStreamOutput>);
    expect(events.map((e) => Object.keys(e)[0])).toEqual(converseEvents.map((e) => e.event));
    expect(events[1]).toEqual({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: "I'll check" } } });

    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("BedrockRuntime.converse_stream");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.getAttribute("mlflow.message.format")).toBe("bedrock");
    expect(span.outputs).toMatchObject({
      output: {
        message: {
          role: "assistant",
          content: [
            { text: "I'll check the weather in Seattle." },
            {
              toolUse: {
                toolUseId: "tooluse_Qm4n1b7TRaKx0uV3y8zW2g",
                name: "get_weather",
                input: { city: "Seattle", unit: "celsius" },
              },
            },
          ],
        },
      },
      stopReason: "tool_use",
      metrics: { latencyMs: 1032 },
    });
    expect(usageOf(span)).toEqual({
      input_tokens: 412,
      output_tokens: 61,
      total_tokens: 473,
      cache_read_input_tokens: 256,
      cache_creation_input_tokens: 12,
    });
    expect(messagesOf(span).at(-1)).toEqual({
      role: "assistant",
      content: "I'll check the weather in Seattle.",
      tool_calls: [
        {
          id: "tooluse_Qm4n1b7TRaKx0uV3y8zW2g",
          type: "function",
          function: { name: "get_weather", arguments: JSON.stringify({ city: "Seattle", unit: "celsius" }) },
        },
      ],
    });
  });

  it("yields the same events as the untraced SDK", async () => {
    replayStream(bedrock(), CLAUDE, "converse-stream", converseEvents);
    const traced = await readAll((await client().send(new ConverseStreamCommand(converseInput))).stream!);
    await autolog({ disable: true });
    let plain: unknown[];
    try {
      replayStream(bedrock(), CLAUDE, "converse-stream", converseEvents);
      plain = await readAll((await client().send(new ConverseStreamCommand(converseInput))).stream!);
    } finally {
      await autolog();
    }
    expect(traced).toEqual(plain);
  });

  it("ends the span with stream_abandoned when broken off after the first event", async () => {
    replayStream(bedrock(), CLAUDE, "converse-stream", converseEvents);
    const output = await client().send(new ConverseStreamCommand(converseInput));
    for await (const _ of output.stream!) break;
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "stream_abandoned"]);
    expect(span.endTimeNs).not.toBeNull();
  });
});
