/**
 * Rebuilds one response from the chunks of a streamed generateContent call, so a streamed call
 * records the same outputs, messages and token usage as a non-streamed one. Pure; one per stream.
 */
type Obj = Record<string, unknown>;

const isRecord = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

export class GenerateContentAccumulator {
  private readonly parts: Obj[] = [];
  private finishReason: unknown;
  private usageMetadata: unknown;
  private meta: Obj = {};

  add(chunk: unknown): void {
    if (!isRecord(chunk)) return;
    for (const key of ["modelVersion", "responseId", "createTime"]) {
      if (chunk[key] !== undefined) this.meta[key] = chunk[key];
    }
    // each chunk reports the usage so far: the last one holds the call's
    if (chunk.usageMetadata !== undefined) this.usageMetadata = chunk.usageMetadata;
    const candidate = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined;
    if (!isRecord(candidate)) return;
    if (candidate.finishReason !== undefined) this.finishReason = candidate.finishReason;
    const content = candidate.content;
    // automatic function calling streams the function responses as a user turn: not the model's reply
    if (!isRecord(content) || content.role === "user" || !Array.isArray(content.parts)) return;
    for (const part of content.parts as unknown[]) {
      if (!isRecord(part)) continue;
      const last = this.parts.at(-1);
      const isText = typeof part.text === "string" && Object.keys(part).every((k) => k === "text" || k === "thought");
      if (isText && last && typeof last.text === "string" && last.thought === part.thought) {
        last.text += part.text as string;
      } else this.parts.push({ ...part });
    }
  }

  result(): Obj {
    const candidate: Obj = { content: { role: "model", parts: this.parts } };
    if (this.finishReason !== undefined) candidate.finishReason = this.finishReason;
    const out: Obj = { candidates: [candidate], ...this.meta };
    if (this.usageMetadata !== undefined) out.usageMetadata = this.usageMetadata;
    return out;
  }
}
