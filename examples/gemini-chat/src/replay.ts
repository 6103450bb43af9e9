// Serves the Gemini bodies of one weather conversation with nock, for runs with no API key: a
// function call for get_weather, then the answer built on its result (hand-written, in Google's
// documented generateContent format: packages/testing/recordings/handwritten-gemini-*.json).
import { readRecordingText, replayBody } from "@tracewright/testing";

const GENERATE = "/v1/models/gemini-2.5-flash:generateContent";

export function replayWeatherConversation() {
  return ["handwritten-gemini-function-call.json", "handwritten-gemini-function-response-answer.json"].map((name) =>
    replayBody({ origin: "https://generativelanguage.googleapis.com", path: GENERATE, body: readRecordingText(name) }),
  );
}
