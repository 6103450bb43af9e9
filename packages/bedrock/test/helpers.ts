import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from "@aws-sdk/client-bedrock-runtime";
import { flushTraces, type InMemoryTraceStore, type Span, SpanAttributeKey } from "@tracewright/core";
import { freshMemoryStore, nock } from "@tracewright/testing";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { autolog } from "../src/index.js";
import { type Exchange, eventStreamReply, harExchanges, jsonReply, type WireEvent } from "./bedrock-wire.js";
import { type FakeBedrock, modelPath, startFakeBedrock } from "./fake-bedrock.js";

/** Obviously fake credentials: the SDK signs with them, nothing checks the signature. */
export const FAKE_CREDENTIALS = { accessKeyId: "AKIDEXAMPLEFAKE000000", secretAccessKey: "fake-secret-for-tests-only" };
export const REGION = "us-east-1";

/** Autolog on, a fake Bedrock endpoint, a fresh in-memory store per test. */
export function setupBedrockTest(): {
  store: () => InMemoryTraceStore;
  bedrock: () => FakeBedrock;
  client: (config?: BedrockRuntimeClientConfig) => BedrockRuntimeClient;
} {
  let store: InMemoryTraceStore;
  let bedrock: FakeBedrock;
  const clients: BedrockRuntimeClient[] = [];
  beforeAll(async () => {
    // nock's interceptors, active once @tracewright/testing is loaded, stall the SDK's HTTP/2
    // sessions; these tests talk to a real loopback server instead, so they are turned off
    nock.restore();
    await autolog();
    bedrock = await startFakeBedrock();
  });
  beforeEach(async () => {
    await flushTraces();
    store = freshMemoryStore();
    bedrock.reset();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await bedrock.close();
  });
  return {
    store: () => store,
    bedrock: () => bedrock,
    /** A real client (default HTTP/2 handler) on the fake endpoint, fake credentials, no retries. */
    client: (config = {}) => {
      const c = new BedrockRuntimeClient({
        region: REGION,
        endpoint: bedrock.url,
        credentials: FAKE_CREDENTIALS,
        maxAttempts: 1,
        ...config,
      });
      clients.push(c);
      return c;
    },
  };
}

/** Queues a hand-written JSON reply for one Converse call. */
export function replayConverse(bedrock: FakeBedrock, modelId: string, recording: string): void {
  bedrock.once(modelPath(modelId, "converse"), jsonReply(recording));
}

/** Queues an event stream for one streaming call. */
export function replayStream(
  bedrock: FakeBedrock,
  modelId: string,
  action: "converse-stream" | "invoke-with-response-stream",
  events: readonly WireEvent[],
): void {
  bedrock.once(modelPath(modelId, action), eventStreamReply(events));
}

/** Queues every exchange of a HAR recording (exact bytes, recorded headers); returns them. */
export function replayHarExchanges(bedrock: FakeBedrock, name: string): Exchange[] {
  const exchanges = harExchanges(name);
  for (const x of exchanges) bedrock.once(x.url.pathname, x);
  return exchanges;
}

export const toolsOf = (span: Span): unknown => span.getAttribute(SpanAttributeKey.CHAT_TOOLS);

// shared by every integration's tests
export { messagesOf, onlyTrace, usageOf } from "@tracewright/testing";
