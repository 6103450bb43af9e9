/**
 * Rebuilds the final Message from the raw events of a streamed `messages.create`, so a streamed
 * call records the same outputs, messages and token usage as a non-streamed one: text, tool_use
 * input (its JSON deltas parsed at the block's end), thinking and its signature, citations,
 * stop reason, and usage (`message_start`'s, updated by `message_delta`'s). Pure; one per stream.
 */
import { isRecord } from "@tracewright/core/instrumentation";

type Obj = Record<string, unknown>;

/** A content block being streamed, with the tool input's JSON as it arrives. */
interface BlockDraft {
  block: Obj;
  partialJson: string;
}

export class StreamAccumulator {
  private message: Obj | null = null;
  private readonly blocks: BlockDraft[] = [];
  private usage: Obj = {};

  add(event: unknown): void {
    if (!isRecord(event)) return;
    switch (event.type) {
      case "message_start":
        if (isRecord(event.message)) {
          this.message = { ...event.message };
          if (isRecord(event.message.usage)) this.usage = { ...event.message.usage };
        }
        break;
      case "content_block_start":
        if (typeof event.index === "number" && isRecord(event.content_block)) {
          this.blocks[event.index] = { block: { ...event.content_block }, partialJson: "" };
        }
        break;
      case "content_block_delta":
        this.delta(event);
        break;
      case "message_delta":
        if (this.message && isRecord(event.delta)) Object.assign(this.message, event.delta);
        if (isRecord(event.usage)) {
          // message_delta's counts are cumulative; a null (not sent) keeps message_start's
          for (const [k, v] of Object.entries(event.usage)) if (v !== null && v !== undefined) this.usage[k] = v;
        }
        break;
    }
  }

  private delta(event: Obj): void {
    const draft = typeof event.index === "number" ? this.blocks[event.index] : undefined;
    const delta = event.delta;
    if (!draft || !isRecord(delta)) return;
    const block = draft.block;
    switch (delta.type) {
      case "text_delta":
        block.text = String(block.text ?? "") + String(delta.text ?? "");
        break;
      case "input_json_delta":
        draft.partialJson += String(delta.partial_json ?? "");
        break;
      case "thinking_delta":
        block.thinking = String(block.thinking ?? "") + String(delta.thinking ?? "");
        break;
      case "signature_delta":
        block.signature = String(delta.signature ?? "");
        break;
      case "citations_delta":
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        break;
    }
  }

  /** A tool block's input: the streamed JSON parsed, or what the start event carried. */
  private parsedInput(draft: BlockDraft): unknown {
    if (draft.partialJson === "") return draft.block.input;
    try {
      return JSON.parse(draft.partialJson);
    } catch {
      return draft.partialJson; // cut off: keep the text that arrived
    }
  }

  /** The Message as it stands: complete after `message_stop`, what arrived so far before. */
  result(): Obj {
    const content = this.blocks
      .filter(Boolean)
      .map((d) => ("input" in d.block ? { ...d.block, input: this.parsedInput(d) } : { ...d.block }));
    return { ...(this.message ?? { type: "message", role: "assistant" }), content, usage: { ...this.usage } };
  }
}
