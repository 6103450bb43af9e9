/**
 * Bedrock's many token-usage shapes as MLflow's `mlflow.chat.tokenUsage`: Converse's camelCase
 * `usage`, the families' InvokeModel bodies (Anthropic, Nova, Meta, Titan, OpenAI-style), the
 * `x-amzn-bedrock-*-token-count` response headers, and the `amazon-bedrock-invocationMetrics` of
 * a streamed reply's last chunk.
 */
import type { TokenUsage } from "@tracewright/core";
import { isRecord } from "@tracewright/core/instrumentation";

type Obj = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function firstNumber(o: Obj, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = num(o[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

// The key names MLflow's bedrock autolog accepts, plus the counts Bedrock itself reports.
const INPUT_KEYS = [
  "input_tokens",
  "inputTokens",
  "prompt_tokens",
  "promptTokens",
  "prompt_token_count",
  "inputTokenCount",
];
const OUTPUT_KEYS = [
  "output_tokens",
  "outputTokens",
  "completion_tokens",
  "completionTokens",
  "generation_token_count",
  "outputTokenCount",
];
const TOTAL_KEYS = ["total_tokens", "totalTokens"];
const CACHE_READ_KEYS = ["cache_read_input_tokens", "cacheReadInputTokens", "cacheReadInputTokenCount"];
const CACHE_WRITE_KEYS = ["cache_creation_input_tokens", "cacheWriteInputTokens", "cacheWriteInputTokenCount"];

/**
 * One usage object (any of the key spellings above) as MLflow token usage, or null unless both
 * input and output counts are there (as MLflow requires). Cache counts are kept when reported.
 */
export function toTokenUsage(usage: unknown): TokenUsage | null {
  if (!isRecord(usage)) return null;
  const input = firstNumber(usage, INPUT_KEYS);
  const output = firstNumber(usage, OUTPUT_KEYS);
  if (input === undefined || output === undefined) return null;
  const result: TokenUsage = {
    input_tokens: input,
    output_tokens: output,
    total_tokens: firstNumber(usage, TOTAL_KEYS) ?? input + output,
  };
  const cacheRead = firstNumber(usage, CACHE_READ_KEYS);
  const cacheWrite = firstNumber(usage, CACHE_WRITE_KEYS);
  if (cacheRead !== undefined) result.cache_read_input_tokens = cacheRead;
  if (cacheWrite !== undefined) result.cache_creation_input_tokens = cacheWrite;
  return result;
}

/** Usage in an InvokeModel response body, whichever model family wrote it. */
export function usageFromInvokeBody(body: unknown): TokenUsage | null {
  if (!isRecord(body)) return null;
  const fromUsage = toTokenUsage(body.usage);
  if (fromUsage) return fromUsage;
  // Meta puts its counts at the top level
  const topLevel = toTokenUsage(body);
  if (topLevel) return topLevel;
  // Titan text: the prompt's count, and each result's
  const results = Array.isArray(body.results) ? (body.results as Obj[]) : null;
  const input = num(body.inputTextTokenCount);
  if (results && input !== undefined) {
    const output = results.reduce((sum, r) => sum + (num(r?.tokenCount) ?? 0), 0);
    return { input_tokens: input, output_tokens: output, total_tokens: input + output };
  }
  return null;
}

/** The counts Bedrock reports in the InvokeModel response headers, for every model family. */
export function usageFromHeaders(headers: Record<string, string | undefined> | undefined): TokenUsage | null {
  if (!headers) return null;
  const read = (name: string): number | undefined => {
    const v = headers[name];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const input = read("x-amzn-bedrock-input-token-count");
  const output = read("x-amzn-bedrock-output-token-count");
  if (input === undefined || output === undefined) return null;
  const result: TokenUsage = { input_tokens: input, output_tokens: output, total_tokens: input + output };
  const cacheRead = read("x-amzn-bedrock-cache-read-input-token-count");
  const cacheWrite = read("x-amzn-bedrock-cache-write-input-token-count");
  if (cacheRead !== undefined) result.cache_read_input_tokens = cacheRead;
  if (cacheWrite !== undefined) result.cache_creation_input_tokens = cacheWrite;
  return result;
}

/**
 * Usage as it builds up over a streamed InvokeModel reply: Bedrock's own invocation metrics win
 * (the last chunk carries them for every family); otherwise the family's partial counts
 * (Anthropic's `message_start` / `message_delta`, Meta's and Titan's running counts), latest last.
 */
export class StreamUsage {
  private metrics: TokenUsage | null = null;
  private partial: Obj = {};

  add(chunk: Obj): void {
    const metrics = toTokenUsage(chunk["amazon-bedrock-invocationMetrics"]);
    if (metrics) this.metrics = metrics;
    const message = chunk.type === "message_start" && isRecord(chunk.message) ? chunk.message : null;
    const usage = message ? message.usage : chunk.usage;
    if (isRecord(usage)) Object.assign(this.partial, usage);
    for (const k of ["prompt_token_count", "generation_token_count", "inputTextTokenCount"]) {
      if (num(chunk[k]) !== undefined) this.partial[k] = chunk[k];
    }
    if (num(chunk.totalOutputTextTokenCount) !== undefined) this.partial.outputTokens = chunk.totalOutputTextTokenCount;
    if (num(chunk.inputTextTokenCount) !== undefined) this.partial.inputTokens = chunk.inputTextTokenCount;
  }

  result(): TokenUsage | null {
    return this.metrics ?? toTokenUsage(this.partial);
  }
}
