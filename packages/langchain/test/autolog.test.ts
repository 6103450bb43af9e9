/**
 * The kit's uniform autolog for LangChain: idempotent, awaitable, `disable` restores every wrapped
 * method, a copy outside the tested versions warns once, and the common options (`redact`,
 * `recordContent: false`, `logTraces: false`) apply to every span, chat messages included.
 * No handler is made by hand in this file: those hooks outlive disable (see handler-options.test.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallbackManager } from "@langchain/core/callbacks/manager";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { BaseLLM } from "@langchain/core/language_models/llms";
import { HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { BaseRetriever } from "@langchain/core/retrievers";
import { Runnable, RunnableLambda, RunnableMap } from "@langchain/core/runnables";
import { AsyncCaller } from "@langchain/core/utils/async_caller";
import { IterableReadableStream } from "@langchain/core/utils/stream";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { ChatOpenAI } from "@langchain/openai";
import { SpanAttributeKey } from "@tracewright/core";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { autolog } from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const store = useRecordedHttpStore();
afterEach(async () => {
  await autolog({ disable: true });
  vi.restoreAllMocks();
});

const QUESTION = "Which ocean contains Bouvet Island?";
const chain = () =>
  ChatPromptTemplate.fromMessages([
    ["system", "Answer in up to 3 words."],
    ["human", "{question}"],
  ])
    .pipe(new ChatOpenAI({ model: "gpt-4o-mini", apiKey: OPENAI_KEY, maxRetries: 0 }))
    .pipe(new StringOutputParser());
const CHAIN_TREE = [
  "RunnableSequence (CHAIN) OK",
  "  ChatPromptTemplate (CHAIN) OK",
  "  ChatOpenAI (CHAT_MODEL) OK",
  "  StrOutputParser (PARSER) OK",
];

/** Every LangChain method autolog may wrap, as it is now (own property or inherited). */
function langchainMethods(): Array<[string, unknown, boolean]> {
  const at = (label: string, target: object, name: string): [string, unknown, boolean] => [
    label,
    (target as Record<string, unknown>)[name],
    Object.hasOwn(target, name),
  ];
  return [
    at("CallbackManager._configureSync", CallbackManager, "_configureSync"),
    ...(["_generateUncached", "_generateCached", "_streamIterator"] as const).flatMap((m) => [
      at(`BaseChatModel#${m}`, BaseChatModel.prototype, m),
      at(`BaseLLM#${m}`, BaseLLM.prototype, m),
    ]),
    at("FakeListChatModel#_generate", FakeListChatModel.prototype, "_generate"),
    at("BaseRetriever#invoke", BaseRetriever.prototype, "invoke"),
    at("Runnable#stream", Runnable.prototype, "stream"),
    at("RunnableMap#stream", RunnableMap.prototype, "stream"),
    at("IterableReadableStream#return", IterableReadableStream.prototype, "return"),
    at("IterableReadableStream#throw", IterableReadableStream.prototype, "throw"),
    at("AsyncCaller#call", AsyncCaller.prototype, "call"),
    at("AsyncCaller#callWithOptions", AsyncCaller.prototype, "callWithOptions"),
  ];
}

/** Every value a span records (inputs, outputs, attributes, events), as one string. */
const recorded = (spans: Array<{ inputs: unknown; outputs: unknown; attributes: unknown; events: unknown }>) =>
  JSON.stringify(spans.map((s) => [s.inputs, s.outputs, s.attributes, s.events]));

describe("langchain.autolog() on the integration kit", () => {
  it("disable restores every LangChain method it wrapped, === the original", async () => {
    const before = langchainMethods();
    await autolog();
    // several prompts at once wrap the model class's own _generate as well
    await new FakeListChatModel({ responses: ["a", "b"] }).generate([[new HumanMessage("x")], [new HumanMessage("y")]]);
    const wrapped = langchainMethods().filter(([, fn], i) => fn !== before[i]![1]);
    expect(wrapped.map(([label]) => label)).toEqual(before.map(([label]) => label));
    await autolog({ disable: true });
    expect(langchainMethods()).toEqual(before);
    await RunnableLambda.from((x: number) => x + 1).invoke(1);
    // the generate() above (one trace per prompt), nothing after disable
    expect((await storedTraces(store())).map(spanTree)).toEqual([
      ["FakeListChatModel (CHAT_MODEL) OK"],
      ["FakeListChatModel (CHAT_MODEL) OK"],
    ]);
  });

  it("is awaitable, idempotent and one handler per invocation however often it is called", async () => {
    const first = await autolog();
    expect(first).toMatchObject({ integration: "langchain", enabled: true });
    await autolog();
    autolog(); // not awaited: still one handler
    replayNockRecording("chat-completion-basic.json");
    expect(await chain().invoke({ question: QUESTION })).toBe("Atlantic Ocean.");
    expect((await storedTraces(store())).map(spanTree)).toEqual([CHAIN_TREE]);
    expect(await autolog({ disable: true })).toEqual({ integration: "langchain", enabled: false, patched: [] });
  });

  it("traces an invocation right after an autolog() that is not awaited", async () => {
    void autolog();
    expect(await RunnableLambda.from((x: number) => x * 2).invoke(2)).toBe(4);
    expect((await storedTraces(store())).map(spanTree)).toEqual([["RunnableLambda (CHAIN) OK"]]);
  });

  it("recordContent: false leaves prompts, answers and message text out, keeps structure, model and usage", async () => {
    await autolog({ recordContent: false });
    replayNockRecording("chat-completion-basic.json");
    expect(await chain().invoke({ question: QUESTION })).toBe("Atlantic Ocean.");
    await new FakeListChatModel({ responses: ["invoked answer"] }).invoke("an invoked prompt");
    for await (const _ of await new FakeListChatModel({ responses: ["streamed answer"] }).stream("a streamed prompt")) {
      // read to the end
    }
    const traces = await storedTraces(store());
    expect(spanTree(traces[0]!)).toEqual(CHAIN_TREE);
    const spans = traces.flatMap((t) => t.data.spans);
    for (const span of spans) {
      expect(span.inputs ?? null).toBeNull();
      expect(span.outputs ?? null).toBeNull();
    }
    const text = recorded(spans);
    for (const content of [QUESTION, "Atlantic", "Answer in up to 3 words", "invoked", "streamed"]) {
      expect(text).not.toContain(content);
    }
    const chat = traces[0]!.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
    expect(chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "system" },
      { role: "user" },
      { role: "assistant" },
    ]);
    expect(chat.getAttribute(SpanAttributeKey.CHAT_USAGE)).toMatchObject({ total_tokens: 25 });
    expect(chat.getAttribute("model")).toBe("gpt-4o-mini");
    expect(traces[2]!.data.spans[0]!.events.filter((e) => e.name === "new_token")).toEqual([]);
  });

  it("redact applies to every span's inputs, outputs and attributes, chat messages included; the latest options win", async () => {
    const seen = new Set<string>();
    const redact = (value: unknown, { target, key }: { target: string; key?: string }) => {
      seen.add(key ?? target);
      return JSON.parse(
        JSON.stringify(value ?? null)
          .replaceAll("Bouvet", "[place]")
          .replaceAll("Atlantic", "[ocean]"),
      );
    };
    await autolog({ redact });
    replayNockRecording("chat-completion-basic.json");
    expect(await chain().invoke({ question: QUESTION })).toBe("Atlantic Ocean."); // the user's result is untouched
    const [t] = await storedTraces(store());
    const spans = t!.data.spans;
    expect(spans).toHaveLength(4);
    const text = recorded(spans);
    expect(text).not.toContain("Bouvet");
    expect(text).not.toContain("Atlantic");
    expect(text).toContain("[place]");
    expect([...seen]).toEqual(expect.arrayContaining(["inputs", "outputs", SpanAttributeKey.CHAT_MESSAGES]));
    const chat = t!.searchSpans({ spanType: "CHAT_MODEL" })[0]!;
    expect(chat.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "system", content: "Answer in up to 3 words." },
      { role: "user", content: "Which ocean contains [place] Island?" },
      { role: "assistant", content: "[ocean] Ocean." },
    ]);

    await autolog(); // no redactor any more
    replayNockRecording("chat-completion-basic.json");
    await chain().invoke({ question: QUESTION });
    const second = (await storedTraces(store()))[1]!;
    expect(recorded(second.data.spans)).toContain("Bouvet");
  });

  it("logTraces: false keeps the integration installed but records nothing", async () => {
    await autolog({ logTraces: false });
    expect(await RunnableLambda.from((x: number) => x + 1).invoke(1)).toBe(2);
    expect(await storedTraces(store())).toEqual([]);
  });

  it("warns once when a copy of @langchain/core outside the tested versions is loaded, and traces it", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // a copy that says it is @langchain/core 0.3.80, serving the real callback manager
    const app = mkdtempSync(join(tmpdir(), "tw-langchain-old-"));
    const pkg = join(app, "node_modules", "@langchain", "core");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({
        name: "@langchain/core",
        version: "0.3.80",
        exports: { "./callbacks/manager": "./manager.cjs" },
      }),
    );
    const real = createRequire(import.meta.url).resolve("@langchain/core/callbacks/manager");
    writeFileSync(join(pkg, "manager.cjs"), `module.exports = require(${JSON.stringify(real)});`);
    createRequire(join(app, "app.js"))("@langchain/core/callbacks/manager");

    await autolog();
    await autolog();
    await autolog({ recordContent: false });
    const misses = warn.mock.calls.map(([line]) => String(line)).filter((l) => l.includes("outside the versions"));
    expect(misses).toEqual([
      "[tracewright/langchain] @langchain/core 0.3.80 is outside the versions @tracewright/langchain is tested with (>=1.0.0 <2.0.0); tracing it anyway",
    ]);
  });
});
