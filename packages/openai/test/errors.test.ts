import { readRecordingText, replayBody, startLoopbackServer } from "@tracewright/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { API_KEY, onlyTrace, setupOpenAITest } from "./helpers.js";

const { store, client } = setupOpenAITest();

const ask = (c: OpenAI) =>
  c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });

describe("API errors", () => {
  it.each([
    [401, "handwritten-error-401.json", OpenAI.AuthenticationError],
    [429, "handwritten-error-429.json", OpenAI.RateLimitError],
    [500, "handwritten-error-500.json", OpenAI.InternalServerError],
    [400, "openai-chat-error-400-unsupported-max-tokens.json", OpenAI.BadRequestError],
  ])("rethrows a %i unchanged and records it on the span", async (status, fixture, ErrorClass) => {
    replayBody({ path: "/v1/chat/completions", status, body: readRecordingText(fixture) });
    let caught: unknown;
    try {
      await ask(client());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ErrorClass);
    expect((caught as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(t.info.state).toBe("ERROR");
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.getAttribute("http.response.status_code")).toBe(status);
    const event = span.events.find((e) => e.name === "exception")!;
    expect(event.attributes["exception.type"]).toBe(ErrorClass.name);
    expect(event.attributes["exception.message"]).toBe((caught as Error).message);
    expect(String(event.attributes["exception.stacktrace"])).toContain("Error");
    expect(span.outputs).toBeNull();
  });

  it("records a timeout as the span's error", async () => {
    const slow = await startLoopbackServer((_req, res) => {
      setTimeout(() => res.writeHead(500).end(readRecordingText("handwritten-error-500.json")), 1000);
    });
    try {
      const fast = new OpenAI({ apiKey: API_KEY, maxRetries: 0, timeout: 50, baseURL: `${slow.url}/v1` });
      await expect(ask(fast)).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      const span = (await onlyTrace(store())).data.spans[0]!;
      expect(span.events.find((e) => e.name === "exception")!.attributes["exception.type"]).toBe(
        "APIConnectionTimeoutError",
      );
    } finally {
      await slow.close();
    }
  });

  it("records an aborted request", async () => {
    const slow = await startLoopbackServer((_req, res) => {
      setTimeout(() => res.writeHead(500).end(readRecordingText("handwritten-error-500.json")), 1000);
    });
    try {
      const c = new OpenAI({ apiKey: API_KEY, maxRetries: 0, baseURL: `${slow.url}/v1` });
      const controller = new AbortController();
      const pending = c.chat.completions.create(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
      const span = (await onlyTrace(store())).data.spans[0]!;
      expect(span.status.statusCode).toBe("ERROR");
      expect(span.events.find((e) => e.name === "exception")!.attributes["exception.type"]).toBe("APIUserAbortError");
    } finally {
      await slow.close();
    }
  });
});
