import { afterEach, describe, expect, it } from "vitest";
import { type RedactionContext, setRedactor, startSpan, withSpan } from "../src/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();
afterEach(() => setRedactor(null));

/** Replaces every string holding "4111" (a card number, say) and remembers what it was shown. */
function cardRedactor(seen: RedactionContext[]) {
  return (value: unknown, context: RedactionContext) => {
    seen.push(context);
    return typeof value === "string" ? value.replaceAll(/4111[\d ]*/g, "[card]") : value;
  };
}

describe("redaction of span events", () => {
  it("applies the process-wide redactor to the attributes of events added to a span", async () => {
    const seen: RedactionContext[] = [];
    setRedactor(cardRedactor(seen));
    const span = startSpan({ name: "pay" });
    span.addEvent("new_token", { token: "card 4111 1111 1111 1111" });
    span.end();
    const [trace] = await storedTraces(store());
    const event = trace!.data.spans[0]!.events.find((e) => e.name === "new_token")!;
    expect(event.attributes.token).toBe("card [card]");
    expect(seen).toContainEqual({ target: "event", key: "token", eventName: "new_token", spanName: "pay" });
  });

  it("redacts a recorded exception's message, and the span status that repeats it", async () => {
    setRedactor(cardRedactor([]));
    expect(() =>
      withSpan({ name: "charge" }, () => {
        throw new Error("declined: 4111 1111 1111 1111");
      }),
    ).toThrow("declined: 4111 1111 1111 1111"); // the app still gets its own error, unchanged
    const [trace] = await storedTraces(store());
    const span = trace!.data.spans[0]!;
    const exception = span.events.find((e) => e.name === "exception")!;
    expect(exception.attributes["exception.message"]).toBe("declined: [card]");
    expect(String(exception.attributes["exception.stacktrace"])).not.toContain("4111");
    expect(span.status.description).not.toContain("4111");
  });

  it("drops an event attribute whose redactor throws instead of recording it unredacted", async () => {
    setRedactor((value, context) => {
      if (context.target === "event") throw new Error("redactor bug");
      return value;
    });
    const span = startSpan({ name: "s" });
    span.addEvent("note", { text: "4111 1111 1111 1111" });
    span.end();
    const [trace] = await storedTraces(store());
    const event = trace!.data.spans[0]!.events.find((e) => e.name === "note")!;
    expect(JSON.stringify(event.attributes)).not.toContain("4111");
  });
});

describe("an integration's recordContent: false", () => {
  it("drops the content of span events (a streamed token) but keeps what describes them", async () => {
    const { defineIntegration } = await import("../src/instrumentation/index.js");
    const toy = defineIntegration({ name: "toy-events", modules: [], patch: () => true });
    await toy.autolog({ recordContent: false });
    const span = toy.startSpan({ name: "toy.stream" });
    span.addEvent("new_token", { token: "the secret plan" });
    span.addEvent("stream_abandoned", { reason: "abandoned", chunks: 3 });
    span.end();
    await toy.autolog({ disable: true });
    const [trace] = await storedTraces(store());
    const events = trace!.data.spans[0]!.events;
    expect(events.find((e) => e.name === "new_token")!.attributes).toEqual({});
    expect(events.find((e) => e.name === "stream_abandoned")!.attributes).toEqual({ reason: "abandoned", chunks: 3 });
  });
});
