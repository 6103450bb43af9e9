/**
 * Many requests in flight, each under its own `trace()` root: 24 concurrent handlers, each making
 * a Converse call, a ConverseStream read to the end and an InvokeModel call through one shared
 * client (replies delayed at random so they interleave), and with the openai autolog on at the
 * same time, an openai chat call too. Every trace holds exactly its own spans, each call is
 * recorded once, and the trace's usage is the sum of its own calls' reported usage.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { flushTraces, type InMemoryTraceStore, trace } from "@tracewright/core";
import * as openaiAutolog from "@tracewright/openai";
import {
  decodeNockResponse,
  freshMemoryStore,
  nock,
  readNockRecording,
  startLoopbackServer,
  storedTraces,
} from "@tracewright/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { eventStreamReply, harExchanges, jsonReply, readEventsRecording } from "./bedrock-wire.js";
import { type FakeBedrock, modelPath, startFakeBedrock } from "./fake-bedrock.js";
import { FAKE_CREDENTIALS, REGION } from "./helpers.js";

const CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const TITAN = "amazon.titan-text-express-v1";
const REQUESTS = 24;

let bedrock: FakeBedrock;
let openaiServer: Awaited<ReturnType<typeof startLoopbackServer>>;
let store: InMemoryTraceStore;
let client: BedrockRuntimeClient;
const titan = harExchanges("bedrock-invoke-titan-text.har")[0]!;
const chatReply = JSON.stringify(decodeNockResponse(readNockRecording("chat-completion-basic.json")[0]!));

beforeAll(async () => {
  nock.restore(); // real loopback servers only (nock stalls the SDK's HTTP/2 sessions)
  await autolog();
  bedrock = await startFakeBedrock({ jitterMs: 15 });
  bedrock.always(modelPath(CLAUDE, "converse"), jsonReply("handwritten-bedrock-converse-tool-use.json"));
  bedrock.always(
    modelPath(CLAUDE, "converse-stream"),
    eventStreamReply(readEventsRecording("handwritten-bedrock-converse-stream-tool-use.events.json")),
  );
  bedrock.always(modelPath(TITAN, "invoke"), titan);
  openaiServer = await startLoopbackServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(chatReply);
    }, Math.random() * 15);
  });
  client = new BedrockRuntimeClient({
    region: REGION,
    endpoint: bedrock.url,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  await openaiAutolog.autolog({ disable: true });
  client.destroy();
  await bedrock.close();
  await openaiServer.close();
});
beforeEach(async () => {
  await flushTraces();
  store = freshMemoryStore();
});

/** One request handler: its own calls, each prompt tagged with the request's number. */
async function handle(i: number, withOpenAI: OpenAI | null): Promise<void> {
  const tag = `request-${i}`;
  const messages = [{ role: "user" as const, content: [{ text: `${tag}: weather in Seattle?` }] }];
  await client.send(new ConverseCommand({ modelId: CLAUDE, messages }));
  const streamed = await client.send(new ConverseStreamCommand({ modelId: CLAUDE, messages }));
  for await (const _ of streamed.stream!);
  const body = JSON.stringify({ ...JSON.parse(titan.requestBody), inputText: `${tag}: cardinal directions?` });
  await client.send(new InvokeModelCommand({ modelId: TITAN, body }));
  if (withOpenAI) {
    await withOpenAI.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: tag }] });
  }
}

const BEDROCK_USAGE = 499 + 473 + 23; // Converse, ConverseStream, Titan InvokeModel
const OPENAI_USAGE = 25; // chat-completion-basic.json

async function runConcurrently(withOpenAI: OpenAI | null) {
  await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) => trace(() => handle(i, withOpenAI), { name: `handler-${i}` })()),
  );
  return storedTraces(store);
}

function expectOwnSpans(traces: Awaited<ReturnType<typeof storedTraces>>, expectedChildren: string[], usage: number) {
  expect(traces).toHaveLength(REQUESTS);
  for (const t of traces) {
    const [root, ...children] = t.data.spans;
    const tag = root!.name.replace("handler-", "request-");
    expect(children.map((s) => s.name).sort()).toEqual([...expectedChildren].sort());
    for (const child of children) {
      expect(child.parentId).toBe(root!.spanId);
      expect(JSON.stringify(child.inputs)).toContain(tag);
      expect(JSON.stringify(child.inputs)).not.toMatch(new RegExp(`request-(?!${tag.slice(8)}\\b)\\d+`));
    }
    expect(t.info.tokenUsage?.total_tokens).toBe(usage);
  }
}

describe(`${REQUESTS} requests in flight`, () => {
  it("keep each trace to its own Bedrock spans, usage counted once", async () => {
    const traces = await runConcurrently(null);
    expectOwnSpans(
      traces,
      ["BedrockRuntime.converse", "BedrockRuntime.converse_stream", "BedrockRuntime.invoke_model"],
      BEDROCK_USAGE,
    );
  });

  it("with the openai autolog on as well: each call has one owner, each trace its own spans", async () => {
    await openaiAutolog.autolog();
    const openai = new OpenAI({ apiKey: "sk-placeholder-not-a-key", baseURL: `${openaiServer.url}/v1`, maxRetries: 0 });
    const traces = await runConcurrently(openai);
    expectOwnSpans(
      traces,
      ["BedrockRuntime.converse", "BedrockRuntime.converse_stream", "BedrockRuntime.invoke_model", "Completions"],
      BEDROCK_USAGE + OPENAI_USAGE,
    );
  });
});
