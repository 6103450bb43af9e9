/**
 * InvokeModel through the real SDK, replaying recorded Bedrock traffic of five model families
 * (Anthropic legacy and Messages, Amazon Titan, Cohere Command, Meta Llama 2, AI21 Jurassic-2):
 * the body bytes reach the user untouched, and the span reads each family's request and reply
 * into chat messages and token usage (the body's own counts, else Bedrock's headers).
 */
import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { messagesOf, onlyTrace, replayHarExchanges, setupBedrockTest, usageOf } from "./helpers.js";

const { store, bedrock, client } = setupBedrockTest();

/** Replays a recording and makes its recorded call; returns the user's output and the span. */
async function invokeRecorded(recording: string) {
  const [exchange] = replayHarExchanges(bedrock(), recording);
  const modelId = decodeURIComponent(exchange!.url.pathname.split("/")[2]!);
  const output = await client().send(
    new InvokeModelCommand({
      modelId,
      body: exchange!.requestBody,
      contentType: "application/json",
      accept: "application/json",
    }),
  );
  const span = (await onlyTrace(store())).data.spans[0]!;
  return { exchange: exchange!, output, span, request: JSON.parse(exchange!.requestBody) as Record<string, unknown> };
}

describe("InvokeModel", () => {
  it("hands the user the recorded body bytes untouched, and records the parsed body", async () => {
    const { exchange, output, span, request } = await invokeRecorded("bedrock-invoke-titan-text.har");
    expect(Buffer.from(output.body).equals(exchange.body)).toBe(true);
    expect(output.body.transformToString()).toBe(exchange.body.toString("utf8"));
    expect(span.name).toBe("BedrockRuntime.invoke_model");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(span.inputs).toMatchObject({ modelId: "amazon.titan-text-express-v1", body: request });
    expect(span.outputs).toMatchObject({ contentType: "application/json", body: JSON.parse(exchange.body.toString()) });
    expect(span.getAttribute("mlflow.llm.model")).toBe("amazon.titan-text-express-v1");
    expect(span.getAttribute("mlflow.message.format")).toBe("bedrock");
    expect(span.getAttribute("temperature")).toBe(undefined); // nested in textGenerationConfig: not a top-level parameter
    expect(usageOf(span)).toEqual({ input_tokens: 8, output_tokens: 15, total_tokens: 23 });
    expect(messagesOf(span)).toEqual([
      { role: "user", content: "What are the 4 cardinal directions?" },
      { role: "assistant", content: "\nThe four cardinal directions are north, south, east, and west." },
    ]);
  });

  it.each([
    [
      "bedrock-invoke-anthropic-claude-v2.har",
      "\n\nHuman:What are the 4 cardinal directions?\n\nAssistant:",
      /^ The 4 cardinal directions are:\n\n- North/,
      { input_tokens: 16, output_tokens: 82, total_tokens: 98 }, // x-amzn-bedrock-*-token-count headers
    ],
    [
      "bedrock-invoke-cohere-command.har",
      "What are the 4 cardinal directions?",
      /^ The four cardinal directions are:\n\n- North: /,
      { input_tokens: 7, output_tokens: 149, total_tokens: 156 }, // headers
    ],
    [
      "bedrock-invoke-meta-llama2.har",
      "What are the 4 cardinal directions?",
      /^\n\nThe four cardinal directions are:\n\n1\. North/,
      { input_tokens: 9, output_tokens: 26, total_tokens: 35 }, // prompt_token_count, generation_token_count
    ],
    [
      "bedrock-invoke-ai21-j2.har",
      "What are the 4 cardinal directions?",
      /^\nThe 4 cardinal directions are north, south, east, and west\.$/,
      { input_tokens: 6, output_tokens: 17, total_tokens: 23 }, // headers
    ],
  ])("reads %s: the prompt, the reply, and its usage", async (recording, prompt, reply, usage) => {
    const { span } = await invokeRecorded(recording);
    const messages = messagesOf(span);
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(messages[0]!.content).toBe(prompt);
    expect(messages[1]!.content).toMatch(reply);
    expect(usageOf(span)).toEqual(usage);
  });

  it("reads an Anthropic Messages body (LangChain's BedrockChat request) with its cache counts", async () => {
    const { span, request } = await invokeRecorded("bedrock-invoke-anthropic-messages-langchain.har");
    expect(span.getAttribute("mlflow.llm.model")).toBe("us.anthropic.claude-3-7-sonnet-20250219-v1:0");
    expect(span.getAttribute("bedrock.response.model")).toBe("claude-3-7-sonnet-20250219");
    expect(span.getAttribute("max_tokens")).toBe(1024);
    expect(span.getAttribute("temperature")).toBe(0);
    expect(messagesOf(span)).toEqual([
      (request.messages as unknown[])[0],
      { role: "assistant", content: expect.stringMatching(/^One of the most popular landmarks in New York City/) },
    ]);
    expect(usageOf(span)).toEqual({
      input_tokens: 21,
      output_tokens: 67,
      total_tokens: 88,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it("accepts the request body as bytes too", async () => {
    const [exchange] = replayHarExchanges(bedrock(), "bedrock-invoke-meta-llama2.har");
    await client().send(
      new InvokeModelCommand({
        modelId: "meta.llama2-13b-chat-v1",
        body: new TextEncoder().encode(exchange!.requestBody),
      }),
    );
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.inputs).toMatchObject({ body: JSON.parse(exchange!.requestBody) });
    expect(bedrock().requests[0]!.body).toBe(exchange!.requestBody);
  });
});
