/**
 * Recorded OpenAI traffic for tests that keep many requests in flight at once, and helpers that
 * check whole trace sets (every trace holds its own spans, usage counted once, no orphans).
 */
import { createRequire } from "node:module";
import type { Trace } from "@tracewright/core";
import { instrumentOpenAIModule, autolog as openaiAutolog } from "@tracewright/openai";
import { decodeNockResponse, nock, readNockRecording, readRecordingText, spanTree } from "@tracewright/testing";

const OPENAI = "https://api.openai.com";

/** The openai copy @langchain/openai resolves (its ESM entry). */
function langchainOpenAICopy(): string {
  const fromLangchain = createRequire(createRequire(import.meta.url).resolve("@langchain/openai"));
  return fromLangchain.resolve("openai").replace(/index\.js$/, "index.mjs");
}

/** The openai module @langchain/openai uses (pnpm may link it a copy of its own). */
export async function langchainOpenAIModule(): Promise<{ OpenAI: new (options: object) => OpenAIClient }> {
  return import(langchainOpenAICopy());
}

/** The part of an openai client these tests call. */
export interface OpenAIClient {
  chat: { completions: { create(body: object): Promise<unknown> } };
}

/** Turns on `@tracewright/openai` autolog, also for the openai copy @langchain/openai uses. */
export async function enableOpenAIAutolog(): Promise<void> {
  await openaiAutolog();
  instrumentOpenAIModule(await langchainOpenAIModule());
}

export async function disableOpenAIAutolog(): Promise<void> {
  await openaiAutolog({ disable: true });
}

const decodedReply = (name: string, index = 0) => JSON.stringify(decodeNockResponse(readNockRecording(name)[index]!));

/** Serves the recorded basic chat completion (25 tokens) `times` times, each reply `delayMs` late. */
export function serveBasicChat(times: number, delayMs = 0): void {
  const body = decodedReply("chat-completion-basic.json");
  const interceptor = nock(OPENAI).post("/v1/chat/completions").times(times);
  (delayMs ? interceptor.delay(delayMs) : interceptor).reply(200, body, { "content-type": "application/json" });
}

/** Serves the recorded embeddings reply (float vectors) `times` times, each `delayMs` late. */
export function serveEmbeddings(times: number, delayMs = 0): void {
  const body = decodedReply("embeddings-basic.json");
  const interceptor = nock(OPENAI).post("/v1/embeddings").times(times);
  (delayMs ? interceptor.delay(delayMs) : interceptor).reply(200, body, { "content-type": "application/json" });
}

/** Serves the recorded streamed chat completion (with usage) `times` times. */
export function serveStreamedChat(times: number): void {
  const sse = readNockRecording("chat-streaming-include-usage.json")[0]!.response as string;
  nock(OPENAI).post("/v1/chat/completions").times(times).reply(200, sse, { "content-type": "text/event-stream" });
}

/** Usage of the two recorded agent turns: 103 + 151 tokens. */
export const AGENT_TOTAL_TOKENS = 254;

/**
 * Serves the recorded two-turn tool-calling conversation to `times` requests in any order: a
 * request that already carries tool results gets the final answer, any other the tool calls.
 */
export function serveAgentTurns(times: number, delayMs = 0): void {
  const name = "chat-completion-parallel-tool-calls-two-turns.json";
  const toolCalls = decodedReply(name, 0);
  const answer = decodedReply(name, 1);
  const interceptor = nock(OPENAI).post("/v1/chat/completions").times(times);
  (delayMs ? interceptor.delay(delayMs) : interceptor).reply(
    200,
    async (request: Request) => {
      const sent = JSON.parse(await request.text()) as { messages: Array<{ role: string }> };
      return sent.messages.some((m) => m.role === "tool") ? answer : toolCalls;
    },
    { "content-type": "application/json" },
  );
}

export { readRecordingText };

/** The traces whose root span has the given name. */
export function tracesNamed(traces: Trace[], name: string): Trace[] {
  return traces.filter((t) => t.data.spans.find((s) => s.parentId === null)?.name === name);
}

/** Span trees in a fixed order, so sets of traces compare regardless of finishing order. */
export function sortedTrees(lines: string[][]): string[][] {
  return [...lines].sort((a, b) => a.join("\n").localeCompare(b.join("\n")));
}

/** Each trace's span tree, sorted (see {@link sortedTrees}). */
export function trees(traces: Trace[]): string[][] {
  return sortedTrees(traces.map(spanTree));
}
