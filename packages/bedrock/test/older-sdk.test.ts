/**
 * The oldest SDK of the tested range, 3.600.0 (its own smithy middleware stack, HTTP/1.1 by
 * default): the same four operations through the real client, against a loopback HTTP/1.1
 * server replaying the same recordings and hand-written streams. The copy, installed under an
 * alias and already loaded, is found and patched by autolog (and `instrumentBedrockModule` on it
 * then has nothing left to do).
 */
import { createRequire } from "node:module";
import { flushTraces, type InMemoryTraceStore } from "@tracewright/core";
import { freshMemoryStore, nock, startLoopbackServer, storedTraces } from "@tracewright/testing";
import * as oldSdk from "client-bedrock-runtime-v3600";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { autolog, instrumentBedrockModule } from "../src/index.js";
import { eventStreamReply, harExchanges, jsonReply, readEventsRecording } from "./bedrock-wire.js";
import type { Reply } from "./fake-bedrock.js";
import { FAKE_CREDENTIALS, messagesOf, usageOf } from "./helpers.js";

const CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const meta = harExchanges("bedrock-invoke-meta-llama2.har")[0]!;
const titanStream = harExchanges("bedrock-invoke-stream-titan-text.har")[0]!;
const replies: Record<string, Reply> = {
  [`/model/${CLAUDE}/converse`]: jsonReply("handwritten-bedrock-converse-tool-use.json"),
  [`/model/${CLAUDE}/converse-stream`]: eventStreamReply(
    readEventsRecording("handwritten-bedrock-converse-stream-tool-use.events.json"),
  ),
  [meta.url.pathname]: meta,
  [titanStream.url.pathname]: titanStream,
};

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
let store: InMemoryTraceStore;
let client: oldSdk.BedrockRuntimeClient;
beforeAll(async () => {
  nock.restore(); // a real loopback server; nothing else is reached
  const status = await autolog();
  expect(status.patched).toContainEqual(expect.stringMatching(/^@aws-sdk\/client-bedrock-runtime@3\.600\.0 /));
  expect(instrumentBedrockModule(oldSdk)).toBe(0);
  server = await startLoopbackServer((req, res) => {
    const reply = replies[decodeURIComponent(req.url ?? "")];
    if (!reply) {
      res.writeHead(404, { "content-type": "application/json", "x-amzn-errortype": "ResourceNotFoundException" });
      res.end(JSON.stringify({ message: `no reply for ${req.url}` }));
      return;
    }
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  client = new oldSdk.BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: server.url,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});
beforeEach(async () => {
  await flushTraces();
  store = freshMemoryStore();
});

const onlySpan = async () => {
  const traces = await storedTraces(store);
  expect(traces).toHaveLength(1);
  return traces[0]!.data.spans[0]!;
};

describe("@aws-sdk/client-bedrock-runtime 3.600.0", () => {
  it("is the version this test runs", () => {
    const manifest = createRequire(import.meta.url)("client-bedrock-runtime-v3600/package.json") as { version: string };
    expect(manifest.version).toBe("3.600.0");
  });

  it("traces Converse", async () => {
    const out = await client.send(
      new oldSdk.ConverseCommand({ modelId: CLAUDE, messages: [{ role: "user", content: [{ text: "Seattle?" }] }] }),
    );
    expect(out.stopReason).toBe("tool_use");
    const span = await onlySpan();
    expect([span.name, span.spanType]).toEqual(["BedrockRuntime.converse", "CHAT_MODEL"]);
    expect(usageOf(span)).toMatchObject({ input_tokens: 412, output_tokens: 87, total_tokens: 499 });
    expect(messagesOf(span).at(-1)).toMatchObject({
      role: "assistant",
      tool_calls: [{ function: { name: "get_weather" } }],
    });
  });

  it("traces ConverseStream, and a broken-off read ends the span", async () => {
    const out = await client.send(
      new oldSdk.ConverseStreamCommand({
        modelId: CLAUDE,
        messages: [{ role: "user", content: [{ text: "Seattle?" }] }],
      }),
    );
    let n = 0;
    for await (const _ of out.stream!) if (++n === 2) break;
    const span = await onlySpan();
    expect(span.name).toBe("BedrockRuntime.converse_stream");
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "stream_abandoned"]);
    expect(span.getAttribute("bedrock.stream.events")).toBe(2);
  });

  it("traces InvokeModel replaying a recorded Meta Llama call", async () => {
    const out = await client.send(
      new oldSdk.InvokeModelCommand({ modelId: "meta.llama2-13b-chat-v1", body: meta.requestBody }),
    );
    expect(Buffer.from(out.body).equals(meta.body)).toBe(true);
    const span = await onlySpan();
    expect(span.name).toBe("BedrockRuntime.invoke_model");
    expect(usageOf(span)).toEqual({ input_tokens: 9, output_tokens: 26, total_tokens: 35 });
  });

  it("traces InvokeModelWithResponseStream replaying a recorded Titan stream", async () => {
    const out = await client.send(
      new oldSdk.InvokeModelWithResponseStreamCommand({
        modelId: "amazon.titan-text-express-v1",
        body: titanStream.requestBody,
      }),
    );
    const chunks: unknown[] = [];
    for await (const e of out.body!) chunks.push(e);
    expect(chunks).toHaveLength(1);
    const span = await onlySpan();
    expect(span.name).toBe("BedrockRuntime.invoke_model_with_response_stream");
    expect(usageOf(span)).toEqual({ input_tokens: 8, output_tokens: 17, total_tokens: 25 });
  });
});
