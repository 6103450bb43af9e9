import { GenAiOperation } from "@tracewright/core/instrumentation";
import { type GenAiSpanExtension, parseJsonAttribute } from "@tracewright/otel-genai";

/**
 * What the AI SDK records on its embedding spans beyond the GenAI conventions (which define no
 * payload for embeddings): the embedded values (`ai.values`, `ai.value`) and the vectors
 * (`ai.embeddings`, `ai.embedding`). Values become the EMBEDDING span's inputs; vectors are
 * large, so only their count and dimensions are recorded, as the other integrations do.
 */
export const aiSdkEmbeddings: GenAiSpanExtension = {
  payloadKeys: new Set(["ai.values", "ai.value", "ai.embeddings", "ai.embedding"]),
  complete(converted, operation, attributes) {
    if (operation !== GenAiOperation.EMBEDDINGS) return;
    const values =
      attributes["ai.values"] ?? (attributes["ai.value"] === undefined ? undefined : [attributes["ai.value"]]);
    if (Array.isArray(values)) converted.inputs = { input: values.map(parseJsonAttribute) };
    const vectors =
      attributes["ai.embeddings"] ??
      (attributes["ai.embedding"] === undefined ? undefined : [attributes["ai.embedding"]]);
    if (Array.isArray(vectors)) converted.outputs = { count: vectors.length, dimensions: dimensionsOf(vectors[0]) };
  },
};

function dimensionsOf(vector: unknown): number {
  if (Array.isArray(vector)) return vector.length;
  if (typeof vector !== "string" || vector.length < 3) return 0;
  let commas = 0;
  for (let i = 0; i < vector.length; i++) if (vector.charCodeAt(i) === 44) commas++;
  return commas + 1;
}
