/**
 * models.embedContent (the Gemini API's `:batchEmbedContents`, which @google/genai 3.3 calls for
 * it) against a hand-written body in Google's documented format: an EMBEDDING span with the raw
 * request, and the vectors summarised unless asked for.
 */
import { SpanAttributeKey } from "@tracewright/core";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { onlyTrace, replayGemini, setupGeminiTest } from "./helpers.js";

const { store, client } = setupGeminiTest();

const request = {
  model: "text-embedding-004",
  contents: ["What is your name?", "What is your favorite color?"],
  config: { outputDimensionality: 8 },
};

describe("models.embedContent", () => {
  it("records an EMBEDDING span with the request and the vectors' sizes, handing back the vectors", async () => {
    const scope = replayGemini(
      "models/text-embedding-004:batchEmbedContents",
      "handwritten-gemini-batch-embed-contents.json",
    );
    const response = await client().models.embedContent(request);
    expect(scope.isDone()).toBe(true);
    expect(response.embeddings?.map((e) => e.values?.length)).toEqual([8, 8]);
    expect(response.embeddings?.[0]?.values?.[0]).toBe(0.0132);

    const span = (await onlyTrace(store())).data.spans[0]!;
    expect([span.name, span.spanType, span.status.statusCode]).toEqual(["Models.embedContent", "EMBEDDING", "OK"]);
    expect(span.inputs).toEqual(request);
    expect(span.outputs).toEqual({ embeddings: [{ values: "[8 floats]" }, { values: "[8 floats]" }] });
    expect(span.getAttribute("outputDimensionality")).toBe(8);
    expect(span.getAttribute(SpanAttributeKey.MODEL)).toBe("text-embedding-004");
    expect(span.getAttribute(SpanAttributeKey.MESSAGE_FORMAT)).toBe("gemini");
    expect(span.getAttribute(SpanAttributeKey.CHAT_USAGE)).toBeUndefined();
  });

  it("records the vectors themselves with recordEmbeddingVectors", async () => {
    await autolog({ recordEmbeddingVectors: true });
    try {
      replayGemini("models/text-embedding-004:batchEmbedContents", "handwritten-gemini-batch-embed-contents.json");
      await client().models.embedContent(request);
    } finally {
      await autolog();
    }
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect((span.outputs as { embeddings: Array<{ values: number[] }> }).embeddings[1]!.values).toHaveLength(8);
  });
});
