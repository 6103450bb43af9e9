import { type ChatMessage, type LiveSpan, SpanAttributeKey, setSpanChatMessages } from "@tracewright/core";
import {
  inputMessages,
  outputMessages,
  requestAttributes,
  requestTools,
  summarizeEmbeddings,
  toTokenUsage,
} from "./convert.js";
import type { Endpoint } from "./endpoints.js";
import { type PluginSettings, redacted } from "./settings.js";

/** Attributes known when the call starts; scalar parameters come from the recorded (redacted) inputs. */
export function startAttributes(
  endpoint: Endpoint,
  body: unknown,
  shownInputs: unknown,
  provider: string,
): Record<string, unknown> {
  const attributes = requestAttributes(shownInputs);
  attributes[SpanAttributeKey.MESSAGE_FORMAT] = "openai";
  attributes[SpanAttributeKey.PROVIDER] = provider;
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model === "string") attributes[SpanAttributeKey.MODEL] = model;
  const tools = requestTools(endpoint, body);
  if (tools.length > 0) attributes[SpanAttributeKey.CHAT_TOOLS] = tools;
  return attributes;
}

/** Records a finished response (parsed or rebuilt from a stream) on the span. */
export function recordResponse(
  span: LiveSpan,
  endpoint: Endpoint,
  body: unknown,
  output: unknown,
  settings: PluginSettings,
): void {
  const shown =
    endpoint.kind === "embeddings" && !settings.recordEmbeddingVectors ? summarizeEmbeddings(output) : output;
  span.setOutputs(redacted(settings, shown, "outputs"));
  const o = output as { usage?: unknown; model?: unknown } | null;
  if (endpoint.kind !== "embeddings") {
    const usage = toTokenUsage(o?.usage);
    if (usage) span.setAttribute(SpanAttributeKey.CHAT_USAGE, usage);
  }
  if (typeof o?.model === "string") span.setAttribute(SpanAttributeKey.MODEL, o.model);
  const input = inputMessages(endpoint, body);
  if (input.length === 0 && endpoint.kind !== "chat" && endpoint.kind !== "responses") return;
  const messages = [
    ...((redacted(settings, input, "inputs") as ChatMessage[] | null) ?? []),
    ...((redacted(settings, outputMessages(endpoint, output), "outputs") as ChatMessage[] | null) ?? []),
  ].filter((m) => m && typeof m === "object" && typeof m.role === "string");
  if (messages.length > 0) setSpanChatMessages(span, messages);
}
