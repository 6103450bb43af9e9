import { GoogleGenAI, type Tool, Type } from "@google/genai";
import { flushTraces, type InMemoryTraceStore } from "@tracewright/core";
import { freshMemoryStore, nock, readHar, readRecordingText, replayBody, replayHar } from "@tracewright/testing";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { autolog } from "../src/index.js";

export const API_KEY = "placeholder-key-DO-NOT-LEAK-1234567890";
export const GEMINI_ORIGIN = "https://generativelanguage.googleapis.com";

/** Autolog on, a fresh in-memory store and a client created after autolog per test, nock with no stray network. */
export function setupGeminiTest(): { store: () => InMemoryTraceStore; client: () => GoogleGenAI } {
  let store: InMemoryTraceStore;
  let client: GoogleGenAI;
  beforeAll(async () => {
    await autolog();
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1"); // real loopback servers are fine; the internet is not
  });
  beforeEach(async () => {
    await flushTraces();
    store = freshMemoryStore();
    client = new GoogleGenAI({ apiKey: API_KEY, apiVersion: "v1beta" });
  });
  afterEach(() => {
    nock.cleanAll();
  });
  return { store: () => store, client: () => client };
}

/** The request body of the recorded generateContent call (the real API's own exchange). */
export const recordedRequest = (): { contents: Array<{ role: string; parts: Array<{ text: string }> }> } =>
  JSON.parse(readHar("gemini-generate-content.har")[0]!.request.postData!.text!);

/** Serves the recorded generateContent exchange `times` times. */
export function replayRecordedGenerate(times = 1): nock.Scope[] {
  return Array.from({ length: times }, () => replayHar("gemini-generate-content.har")).flat();
}

/** Serves a hand-written Gemini body for `path` (`models/gemini-2.5-flash:generateContent`). */
export function replayGemini(path: string, recording: string, status = 200): nock.Scope {
  return replayBody({
    origin: GEMINI_ORIGIN,
    path: `/v1beta/${path}`,
    body: readRecordingText(recording),
    status,
    headers: { "content-type": recording.endsWith(".sse") ? "text/event-stream" : "application/json" },
  });
}

/** The weather tool, as a Gemini function declaration (a `Schema`, types in upper case). */
export const WEATHER_TOOL: Tool = {
  functionDeclarations: [
    {
      name: "get_weather",
      description: "The current weather at a location",
      parameters: {
        type: Type.OBJECT,
        properties: { location: { type: Type.STRING, description: "A city" } },
        required: ["location"],
      },
    },
  ],
};

// shared by every integration's tests
export { messagesOf, onlyTrace, usageOf } from "@tracewright/testing";
