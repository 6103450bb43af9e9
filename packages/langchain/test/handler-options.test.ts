/**
 * A TracewrightCallbackHandler made by hand records with the options given to it, through the
 * kit (its redactor on every span), whether autolog() is on or not.
 */
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { SpanAttributeKey } from "@tracewright/core";
import { storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { autolog, TracewrightCallbackHandler } from "../src/index.js";

const store = useRecordedHttpStore();
afterEach(async () => {
  await autolog({ disable: true });
});

const model = () => new FakeListChatModel({ responses: ["the secret answer"] });

async function streamed(handler: TracewrightCallbackHandler): Promise<string> {
  let text = "";
  for await (const chunk of await model().stream("my secret prompt", { callbacks: [handler] })) text += chunk.content;
  return text;
}

describe("a handler made by hand", () => {
  it("applies its own redact to inputs, outputs and chat messages, and leaves raw token events out", async () => {
    const handler = new TracewrightCallbackHandler({
      redact: (value) => JSON.parse(JSON.stringify(value ?? null).replaceAll("secret", "[x]")),
    });
    expect(await streamed(handler)).toBe("the secret answer"); // the user's stream is untouched
    const [span] = (await storedTraces(store()))[0]!.data.spans;
    expect(JSON.stringify([span!.inputs, span!.outputs, span!.attributes, span!.events])).not.toContain("secret");
    expect(span!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "user", content: "my [x] prompt" },
      { role: "assistant", content: "the [x] answer" },
    ]);
    expect(span!.events.filter((e) => e.name === "new_token")).toEqual([]);
  });

  it("with recordContent: false keeps roles and no text", async () => {
    await streamed(new TracewrightCallbackHandler({ recordContent: false }));
    const [span] = (await storedTraces(store()))[0]!.data.spans;
    expect(span!.inputs ?? null).toBeNull();
    expect(span!.outputs ?? null).toBeNull();
    expect(span!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([{ role: "user" }, { role: "assistant" }]);
    expect(JSON.stringify([span!.attributes, span!.events])).not.toContain("secret");
  });

  it("records with its own options while autolog() is on with others, and the invocation gets one handler", async () => {
    await autolog({ recordContent: false });
    await streamed(new TracewrightCallbackHandler());
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    const spans = traces[0]!.data.spans;
    expect(spans).toHaveLength(1);
    expect(spans[0]!.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "user", content: "my secret prompt" },
      { role: "assistant", content: "the secret answer" },
    ]);
    expect(spans[0]!.events.filter((e) => e.name === "new_token").length).toBeGreaterThan(0);
  });

  it("with logTraces: false records nothing", async () => {
    expect(await streamed(new TracewrightCallbackHandler({ logTraces: false }))).toBe("the secret answer");
    expect(await storedTraces(store())).toEqual([]);
  });
});
