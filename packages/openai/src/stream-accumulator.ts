/**
 * Rebuilds the final response from streamed chunks, so a streamed call records the same
 * outputs, messages and token usage as a non-streamed one. Pure; one instance per stream.
 */
import type { Endpoint } from "./types.js";

type Obj = Record<string, unknown>;

interface ToolCallDraft {
  index: number;
  id?: string;
  type?: string;
  name: string;
  arguments: string;
}

interface ChoiceDraft {
  index: number;
  role: string;
  content: string | null;
  refusal: string | null;
  toolCalls: ToolCallDraft[];
  finishReason: string | null;
  text: string;
}

/** Accumulates chat-completion and legacy-completion chunks. */
class ChoicesAccumulator {
  private readonly choices: ChoiceDraft[] = [];
  private meta: Obj = {};
  private usage: unknown = null;

  constructor(private readonly kind: "chat" | "completions") {}

  add(chunk: Obj): void {
    if (this.meta.id === undefined) {
      this.meta = { id: chunk.id, created: chunk.created, model: chunk.model };
      if (chunk.system_fingerprint !== undefined) this.meta.system_fingerprint = chunk.system_fingerprint;
    }
    if (chunk.usage) this.usage = chunk.usage;
    const choices = chunk.choices as Obj[] | undefined;
    if (!choices) return;
    for (const c of choices) {
      const index = (c.index as number) ?? 0;
      let draft = this.choices[index];
      if (!draft) {
        draft = { index, role: "assistant", content: null, refusal: null, toolCalls: [], finishReason: null, text: "" };
        this.choices[index] = draft;
      }
      if (c.finish_reason) draft.finishReason = c.finish_reason as string;
      if (this.kind === "completions") {
        if (typeof c.text === "string") draft.text += c.text;
        continue;
      }
      const delta = c.delta as Obj | undefined;
      if (!delta) continue;
      if (typeof delta.role === "string") draft.role = delta.role;
      if (typeof delta.content === "string") draft.content = (draft.content ?? "") + delta.content;
      if (typeof delta.refusal === "string") draft.refusal = (draft.refusal ?? "") + delta.refusal;
      const toolCalls = delta.tool_calls as Obj[] | undefined;
      if (toolCalls) {
        for (const tc of toolCalls) {
          const i = (tc.index as number) ?? 0;
          let call = draft.toolCalls[i];
          if (!call) {
            call = { index: i, name: "", arguments: "" };
            draft.toolCalls[i] = call;
          }
          if (typeof tc.id === "string") call.id = tc.id;
          if (typeof tc.type === "string") call.type = tc.type;
          const fn = tc.function as Obj | undefined;
          if (fn) {
            if (typeof fn.name === "string") call.name += fn.name;
            if (typeof fn.arguments === "string") call.arguments += fn.arguments;
          }
        }
      }
    }
  }

  result(): Obj {
    const choices = this.choices.filter(Boolean).map((d) => {
      if (this.kind === "completions") return { index: d.index, text: d.text, finish_reason: d.finishReason };
      const message: Obj = { role: d.role, content: d.content };
      if (d.refusal !== null) message.refusal = d.refusal;
      const calls = d.toolCalls.filter(Boolean);
      if (calls.length > 0) {
        message.tool_calls = calls.map((c) => ({
          id: c.id,
          type: c.type ?? "function",
          function: { name: c.name, arguments: c.arguments },
        }));
      }
      return { index: d.index, message, finish_reason: d.finishReason };
    });
    const out: Obj = {
      ...this.meta,
      object: this.kind === "chat" ? "chat.completion" : "text_completion",
      choices,
    };
    if (this.usage) out.usage = this.usage;
    return out;
  }
}

/** Accumulates Responses API stream events; the `response.completed` event carries the final response. */
class ResponsesAccumulator {
  private final: Obj | null = null;
  private text = "";
  private created: Obj | null = null;

  add(event: Obj): void {
    const type = event.type as string | undefined;
    if (type === "response.output_text.delta" && typeof event.delta === "string") this.text += event.delta;
    else if (type === "response.created" && event.response) this.created = event.response as Obj;
    else if (
      (type === "response.completed" || type === "response.incomplete" || type === "response.failed") &&
      event.response
    ) {
      this.final = event.response as Obj;
    }
  }

  result(): Obj {
    if (this.final) return this.final;
    return {
      ...(this.created ?? {}),
      status: "incomplete",
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: this.text }] }],
    };
  }
}

/** Rebuilds streamed responses; `null` for endpoints that do not stream. */
export type StreamAccumulator = { add(chunk: Obj): void; result(): Obj };

export function createStreamAccumulator(endpoint: Endpoint): StreamAccumulator | null {
  if (endpoint.kind === "chat") return new ChoicesAccumulator("chat");
  if (endpoint.kind === "completions") return new ChoicesAccumulator("completions");
  if (endpoint.kind === "responses") return new ResponsesAccumulator();
  return null;
}
