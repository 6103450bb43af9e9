import { OpenAI } from "@llamaindex/openai";
import { SpanAttributeKey } from "@tracewright/core";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { SimpleChatEngine } from "llamaindex";
import { beforeAll, describe, expect, it } from "vitest";
import * as llamaindex from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const HISTORY = [
  { role: "system" as const, content: "Answer in up to 3 words." },
  { role: "user" as const, content: "Hi there" },
  { role: "assistant" as const, content: "Hello! Ask away." },
];

describe("chat engine with history", () => {
  const store = useRecordedHttpStore();
  beforeAll(async () => {
    await llamaindex.autolog();
  });

  it("records a CHAIN root and a CHAT_MODEL span carrying the whole conversation", async () => {
    replayNockRecording("chat-completion-basic.json");
    const engine = new SimpleChatEngine({
      llm: new OpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }),
    });
    const reply = await engine.chat({ message: "Which ocean contains Bouvet Island?", chatHistory: HISTORY });
    expect(reply.message.content).toBe("Atlantic Ocean.");

    const [conversation] = await storedTraces(store());
    expect(spanTree(conversation!)).toEqual(["SimpleChatEngine.chat (CHAIN) OK", "  OpenAI.chat (CHAT_MODEL) OK"]);
    const [root, chat] = conversation!.data.spans;
    expect(root?.inputs).toMatchObject({ message: "Which ocean contains Bouvet Island?", chat_history: HISTORY });
    expect(root?.outputs).toBe("Atlantic Ocean.");
    expect(chat?.attributes[SpanAttributeKey.CHAT_MESSAGES]).toEqual([
      ...HISTORY,
      { role: "user", content: "Which ocean contains Bouvet Island?" },
      { role: "assistant", content: "Atlantic Ocean." },
    ]);
    expect(chat?.attributes[SpanAttributeKey.CHAT_USAGE]).toEqual({
      input_tokens: 22,
      output_tokens: 3,
      total_tokens: 25,
    });
    expect(conversation!.info.requestPreview).toContain("Which ocean contains Bouvet Island?");
  });
});
