import { SpanType } from "@tracewright/core";

/** The openai methods the plugin traces, with MLflow's span names and types. */
export interface Endpoint {
  kind: "chat" | "completions" | "embeddings" | "responses";
  /** MLflow names the span after the resource class. */
  spanName: string;
  spanType: string;
}

export const ENDPOINTS: Record<Endpoint["kind"], Endpoint> = {
  chat: { kind: "chat", spanName: "Completions", spanType: SpanType.CHAT_MODEL },
  completions: { kind: "completions", spanName: "Completions", spanType: SpanType.LLM },
  embeddings: { kind: "embeddings", spanName: "Embeddings", spanType: SpanType.EMBEDDING },
  responses: { kind: "responses", spanName: "Responses", spanType: SpanType.CHAT_MODEL },
};
