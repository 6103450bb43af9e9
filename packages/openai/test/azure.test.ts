/**
 * Azure OpenAI clients (`AzureOpenAI`, a subclass of `OpenAI`) are recorded with provider
 * `azure`, the provider name MLflow's cost tables (LiteLLM's) give Azure OpenAI; plain `OpenAI`
 * clients keep `openai`. The recorded chat completion is served at the Azure deployment path.
 */
import { SpanAttributeKey } from "@tracewright/core";
import { decodeNockResponse, readNockRecording, replayBody } from "@tracewright/testing";
import OpenAI, { AzureOpenAI } from "openai";
import { describe, expect, it } from "vitest";
import { traced } from "../src/index.js";
import { API_KEY, attr, onlyTrace, setupOpenAITest } from "./helpers.js";

const { store } = setupOpenAITest();

const recording = readNockRecording("chat-completion-basic.json")[0]!;
const body = recording.body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
const endpoint = "https://example-resource.openai.azure.com";
const apiVersion = "2024-10-21";

function replayAtAzure() {
  return replayBody({
    origin: endpoint,
    path: `/openai/deployments/${body.model}/chat/completions?api-version=${apiVersion}`,
    body: decodeNockResponse(recording) as object,
  });
}

describe("Azure OpenAI", () => {
  it("records an autologged AzureOpenAI client's call with provider azure", async () => {
    const scope = replayAtAzure();
    const azure = new AzureOpenAI({ apiKey: API_KEY, endpoint, apiVersion, maxRetries: 0 });
    const r = await azure.chat.completions.create(body);
    expect(r.choices[0]!.message.content).toBe("Atlantic Ocean.");
    expect(scope.isDone()).toBe(true);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(attr(span, SpanAttributeKey.PROVIDER)).toBe("azure");
    expect(attr(span, SpanAttributeKey.MODEL)).toBe(r.model);
  });

  it("records a traced() AzureOpenAI client with provider azure too", async () => {
    replayAtAzure();
    const azure = traced(new AzureOpenAI({ apiKey: API_KEY, endpoint, apiVersion, maxRetries: 0 }));
    await azure.chat.completions.create(body);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(attr(span, SpanAttributeKey.PROVIDER)).toBe("azure");
  });

  it("keeps provider openai for a plain OpenAI client", async () => {
    replayBody({ path: "/v1/chat/completions", body: decodeNockResponse(recording) as object });
    await new OpenAI({ apiKey: API_KEY, maxRetries: 0 }).chat.completions.create(body);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(attr(span, SpanAttributeKey.PROVIDER)).toBe("openai");
  });
});
