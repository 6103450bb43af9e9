import Anthropic from "@anthropic-ai/sdk";
import { readRecordingText, startLoopbackServer } from "@tracewright/testing";
import { describe, expect, it } from "vitest";
import { STREAM_EVENTS_ATTRIBUTE } from "../src/stream.js";
import { API_KEY, onlyTrace, serveRecording, setupAnthropicTest } from "./helpers.js";

const { store, client } = setupAnthropicTest();

const params = {
  model: "claude-sonnet-4-6",
  max_tokens: 100,
  messages: [{ role: "user" as const, content: "hi" }],
};

describe("API errors", () => {
  it.each([
    [400, "handwritten-anthropic-error-400.json", Anthropic.BadRequestError, "BadRequestError"],
    [529, "handwritten-anthropic-error-529.json", Anthropic.InternalServerError, "OverloadedError"],
  ])("rethrows a %i unchanged and records it on the span", async (status, fixture, ErrorClass, name) => {
    serveRecording(fixture, { status });
    let caught: unknown;
    try {
      await client().messages.create(params);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ErrorClass);
    expect((caught as Error).constructor.name).toBe(name);
    expect((caught as InstanceType<typeof Anthropic.APIError>).status).toBe(status);
    expect((caught as InstanceType<typeof Anthropic.APIError>).error).toEqual(JSON.parse(readRecordingText(fixture)));
    const t = await onlyTrace(store());
    const span = t.data.spans[0]!;
    expect(t.info.state).toBe("ERROR");
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.getAttribute("http.response.status_code")).toBe(status);
    const event = span.events.find((e) => e.name === "exception")!;
    expect(event.attributes["exception.type"]).toBe(name);
    expect(event.attributes["exception.message"]).toBe((caught as Error).message);
    expect(span.outputs).toBeNull();
  });

  it("rethrows an error event in the middle of a stream and ends the span with it and what arrived", async () => {
    serveRecording("handwritten-anthropic-streaming-overloaded.sse");
    const stream = await client().messages.create({ ...params, stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
    ).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(seen).toEqual(["message_start", "content_block_start", "content_block_delta"]);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events.find((e) => e.name === "exception")!.attributes["exception.message"]).toContain("Overloaded");
    expect(span.getAttribute(STREAM_EVENTS_ATTRIBUTE)).toBe(3);
    expect((span.outputs as { content: unknown }).content).toEqual([{ type: "text", text: "Hello" }]);
  });

  it("rejects the stream helper's finalMessage() with the SDK's error, recorded on the span", async () => {
    serveRecording("handwritten-anthropic-error-529.json", { status: 529 });
    const stream = client().messages.stream(params);
    const errors: unknown[] = [];
    stream.on("error", (e) => errors.push(e));
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.InternalServerError);
    expect(errors).toHaveLength(1);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.getAttribute("http.response.status_code")).toBe(529);
  });

  it("records a timeout as the span's error", async () => {
    const slow = await startLoopbackServer((_req, res) => {
      setTimeout(() => res.writeHead(529).end(readRecordingText("handwritten-anthropic-error-529.json")), 1000);
    });
    try {
      const fast = new Anthropic({ apiKey: API_KEY, maxRetries: 0, timeout: 50, baseURL: slow.url });
      await expect(fast.messages.create(params)).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
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
      setTimeout(() => res.writeHead(529).end(readRecordingText("handwritten-anthropic-error-529.json")), 1000);
    });
    try {
      const c = new Anthropic({ apiKey: API_KEY, maxRetries: 0, baseURL: slow.url });
      const controller = new AbortController();
      const pending = c.messages.create(params, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toBeInstanceOf(Anthropic.APIUserAbortError);
      const span = (await onlyTrace(store())).data.spans[0]!;
      expect(span.status.statusCode).toBe("ERROR");
      expect(span.events.find((e) => e.name === "exception")!.attributes["exception.type"]).toBe("APIUserAbortError");
    } finally {
      await slow.close();
    }
  });
});
