/** The pure conversions: usage, chat messages, tools, and the Message rebuilt from stream events. */
import { describe, expect, it } from "vitest";
import { inputMessages, requestAttributes, requestTools, toChatMessages, toTokenUsage } from "../src/convert.js";
import { StreamAccumulator } from "../src/stream-accumulator.js";

describe("toTokenUsage", () => {
  it("adds cache reads and writes to input_tokens, and leaves absent cache counts out", () => {
    expect(toTokenUsage({ input_tokens: 5, output_tokens: 7 })).toEqual({
      input_tokens: 5,
      output_tokens: 7,
      total_tokens: 12,
    });
    expect(
      toTokenUsage({
        input_tokens: 5,
        output_tokens: 7,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: null,
      }),
    ).toEqual({ input_tokens: 105, output_tokens: 7, total_tokens: 112, cache_read_input_tokens: 100 });
  });

  it("is null for a missing or empty usage", () => {
    expect(toTokenUsage(undefined)).toBeNull();
    expect(toTokenUsage({ service_tier: "standard" })).toBeNull();
  });
});

describe("toChatMessages", () => {
  it("turns images into image_url parts and keeps other blocks (documents) as they are", () => {
    const doc = { type: "document", source: { type: "text", media_type: "text/plain", data: "a contract" } };
    expect(
      toChatMessages({
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
          doc,
          { type: "text", text: "What is this?" },
        ],
      }),
    ).toEqual([
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0K" } },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          doc,
          { type: "text", text: "What is this?" },
        ],
      },
    ]);
  });

  it("gives each of several tool_result blocks a tool message, their text joined", () => {
    expect(
      toChatMessages({
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_a", content: [{ type: "text", text: "18°C" }] },
          { type: "tool_result", tool_use_id: "toolu_b", content: "21°C", is_error: false },
          { type: "tool_result", tool_use_id: "toolu_c" },
        ],
      }),
    ).toEqual([
      { role: "tool", tool_call_id: "toolu_a", content: "18°C" },
      { role: "tool", tool_call_id: "toolu_b", content: "21°C" },
      { role: "tool", tool_call_id: "toolu_c", content: "" },
    ]);
  });

  it("records a thinking-only reply as an assistant message without content", () => {
    expect(
      toChatMessages({ role: "assistant", content: [{ type: "thinking", thinking: "hmm", signature: "x" }] }),
    ).toEqual([{ role: "assistant", content: null }]);
  });

  it("puts text-block system prompts first as parts", () => {
    expect(
      inputMessages({ system: [{ type: "text", text: "Be brief." }], messages: [{ role: "user", content: "Hi" }] }),
    ).toEqual([
      { role: "system", content: [{ type: "text", text: "Be brief." }] },
      { role: "user", content: "Hi" },
    ]);
  });
});

describe("requestTools and requestAttributes", () => {
  it("converts client tools to MLflow's function form and names server tools by type", () => {
    expect(
      requestTools({
        tools: [
          { name: "get_weather", input_schema: { type: "object" } },
          { type: "web_search_20250305", name: "web_search", max_uses: 3 },
        ],
      }),
    ).toEqual([
      { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
      { type: "web_search_20250305", function: { name: "web_search" } },
    ]);
  });

  it("records scalar parameters, the system prompt only when content is recorded", () => {
    const body = { model: "m", max_tokens: 9, system: "secret persona", messages: [], metadata: { user_id: "u" } };
    expect(requestAttributes(body)).toEqual({ model: "m", max_tokens: 9, system: "secret persona" });
    expect(requestAttributes(body, false)).toEqual({ model: "m", max_tokens: 9 });
  });
});

describe("StreamAccumulator", () => {
  it("keeps a tool input cut off mid-stream as the JSON text that arrived", () => {
    const acc = new StreamAccumulator();
    acc.add({
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        usage: { input_tokens: 3, output_tokens: 1 },
      },
    });
    acc.add({
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: "t", name: "f", input: {} },
    });
    acc.add({
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: '{"city": "Pa' },
    });
    expect(acc.result()).toEqual({
      id: "msg_1",
      type: "message",
      role: "assistant",
      content: [{ type: "tool_use", id: "t", name: "f", input: '{"city": "Pa' }],
      usage: { input_tokens: 3, output_tokens: 1 },
    });
  });

  it("collects citations and lets message_delta's usage override message_start's, ignoring nulls", () => {
    const acc = new StreamAccumulator();
    acc.add({
      type: "message_start",
      message: { id: "m", content: [], usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 4 } },
    });
    acc.add({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    acc.add({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Paris" } });
    const citation = { type: "char_location", cited_text: "Paris is", document_index: 0 };
    acc.add({ type: "content_block_delta", index: 0, delta: { type: "citations_delta", citation } });
    acc.add({
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 6, input_tokens: null },
    });
    expect(acc.result()).toEqual({
      id: "m",
      content: [{ type: "text", text: "Paris", citations: [citation] }],
      stop_reason: "end_turn",
      usage: { input_tokens: 10, output_tokens: 6, cache_read_input_tokens: 4 },
    });
  });
});
