import { SpanAttributeKey } from "@tracewright/core";
import {
  chunksToSse,
  readHar,
  readNockRecording,
  replayBody,
  replayHar,
  replayNockRecording,
} from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { messagesOf, onlyTrace, setupOpenAITest, usageOf } from "./helpers.js";

const { store, client } = setupOpenAITest();

describe("embeddings.create", () => {
  it("records an EMBEDDING span with counts and dimensions instead of vectors", async () => {
    replayNockRecording("embeddings-basic.json");
    const body = readNockRecording("embeddings-basic.json")[0]!.body as { model: string; input: string[] };
    const response = await client().embeddings.create(body as never);
    const dims = response.data[0]!.embedding.length;
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("Embeddings");
    expect(span.spanType).toBe("EMBEDDING");
    expect(span.inputs).toEqual(body);
    const data = (span.outputs as { data: Array<{ embedding: unknown }> }).data;
    expect(data[0]!.embedding).toBe(`[${dims} floats]`);
    expect(usageOf(span)).toBeUndefined();
    expect(JSON.stringify(span.toDict()).length).toBeLessThan(5_000);
  });

  it("records the vectors when asked", async () => {
    await autolog({ recordEmbeddingVectors: true });
    try {
      replayNockRecording("embeddings-basic.json");
      const body = readNockRecording("embeddings-basic.json")[0]!.body;
      const response = await client().embeddings.create(body as never);
      const span = (await onlyTrace(store())).data.spans[0]!;
      expect((span.outputs as { data: Array<{ embedding: number[] }> }).data[0]!.embedding).toEqual(
        response.data[0]!.embedding,
      );
    } finally {
      await autolog();
    }
  });
});

describe("responses.create", () => {
  it("records a CHAT_MODEL span with the conversation and token usage", async () => {
    replayNockRecording("responses-basic.json");
    const response = await client().responses.create({
      model: "gpt-4o-mini",
      instructions: "Be brief.",
      input: "Answer in up to 3 words: Which ocean contains Bouvet Island?",
    });
    expect(response.output_text).toBe("Atlantic Ocean.");
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(span.name).toBe("Responses");
    expect(span.spanType).toBe("CHAT_MODEL");
    expect(messagesOf(span)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Answer in up to 3 words: Which ocean contains Bouvet Island?" },
      { role: "assistant", content: "Atlantic Ocean." },
    ]);
    expect(usageOf(span)).toMatchObject({ input_tokens: 22, output_tokens: 3, total_tokens: 25 });
  });

  it("records a streamed response from its completed event, with function calls and tools", async () => {
    replayBody({
      path: "/v1/responses",
      body: chunksToSse("openai-responses-tool-search-function-call.chunks.txt", { eventNames: true }),
    });
    const stream = await client().responses.create({
      model: "gpt-5.4",
      stream: true,
      input: "Find the weather tool and call it.",
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object" }, strict: false }],
    });
    const types = new Set<string>();
    for await (const event of stream) types.add(event.type);
    expect(types.has("response.completed")).toBe(true);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { status: string }).status).toBe("completed");
    expect(span.getAttribute(SpanAttributeKey.CHAT_TOOLS)).toEqual([
      { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
    ]);
    const last = messagesOf(span).at(-1)!;
    expect(last.role).toBe("assistant");
    expect((last.tool_calls as unknown[]).length).toBeGreaterThan(0);
    expect((usageOf(span) as { output_tokens: number }).output_tokens).toBeGreaterThan(0);
  });
});

describe("responses.stream() helper", () => {
  it("is traced through create(), once, with the final response", async () => {
    replayBody({
      path: "/v1/responses",
      body: chunksToSse("openai-responses-tool-search-function-call.chunks.txt", { eventNames: true }),
    });
    const stream = client().responses.stream({ model: "gpt-5.4", input: "Find the weather tool and call it." });
    const final = await stream.finalResponse();
    const t = await onlyTrace(store());
    expect(t.data.spans).toHaveLength(1);
    expect((t.data.spans[0]!.outputs as { id: string }).id).toBe(final.id);
  });
});

describe("legacy completions.create", () => {
  it("records an LLM span", async () => {
    replayHar("legacy-completion.har");
    const body = JSON.parse(readHar("legacy-completion.har")[0]!.request.postData!.text!) as object;
    const completion = await client().completions.create(body as never);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("Completions");
    expect(span.spanType).toBe("LLM");
    expect((span.outputs as { choices: Array<{ text: string }> }).choices[0]!.text).toBe(completion.choices[0]!.text);
    expect(usageOf(span)).toEqual({
      input_tokens: completion.usage!.prompt_tokens,
      output_tokens: completion.usage!.completion_tokens,
      total_tokens: completion.usage!.total_tokens,
    });
  });

  it("rebuilds a streamed legacy completion", async () => {
    replayHar("legacy-completion-streaming.har");
    const body = JSON.parse(readHar("legacy-completion-streaming.har")[0]!.request.postData!.text!) as object;
    const stream = await client().completions.create(body as never);
    let text = "";
    for await (const chunk of stream as unknown as AsyncIterable<{ choices: Array<{ text: string }> }>) {
      text += chunk.choices[0]?.text ?? "";
    }
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { choices: Array<{ text: string }> }).choices[0]!.text).toBe(text);
    expect(text.length).toBeGreaterThan(5);
  });
});
