// Recorded Anthropic traffic for running the example with no key and no network: the recorded
// thinking + tool_use turn (openinference), then the answer after the tool result (hand-written:
// no recording covers that turn).
import { type nock, readRecordingText, replayBody } from "@tracewright/testing";

/** The two replies of the weather loop, in order. */
export const REPLIES = [
  (JSON.parse(readRecordingText("anthropic-thinking-tool-use-non-streaming.json")) as { body: string }).body,
  readRecordingText("handwritten-anthropic-weather-answer.json"),
];

/** Serves the replies on api.anthropic.com through nock, one per request. */
export function replayWeatherLoop(): nock.Scope[] {
  return REPLIES.map((body) => replayBody({ origin: "https://api.anthropic.com", path: "/v1/messages", body }));
}
