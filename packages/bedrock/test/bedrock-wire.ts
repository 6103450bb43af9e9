/**
 * Bedrock Runtime's wire formats for the tests: recorded HAR exchanges (event-stream bodies
 * decoded from base64 to their exact bytes), hand-written JSON replies, and event streams
 * encoded with the SDK's own codec (`@smithy/core/event-streams`, resolved from the SDK's
 * install, so the bytes are what the SDK decodes from the real service).
 */
import { createRequire } from "node:module";
import { type HarEntry, readHar, readRecordingText } from "@tracewright/testing";

const sdkRequire = createRequire(createRequire(import.meta.url).resolve("@aws-sdk/client-bedrock-runtime"));
const { EventStreamCodec } = sdkRequire("@smithy/core/event-streams") as {
  EventStreamCodec: new (
    toUtf8: (b: Uint8Array) => string,
    fromUtf8: (s: string) => Uint8Array,
  ) => {
    encode(message: { headers: Record<string, { type: "string"; value: string }>; body: Uint8Array }): Uint8Array;
  };
};
const codec = new EventStreamCodec(
  (b) => Buffer.from(b).toString("utf8"),
  (s) => new Uint8Array(Buffer.from(s, "utf8")),
);

/** One message of an event stream: its `:event-type` (or `:exception-type`) and JSON payload. */
export interface WireEvent {
  event: string;
  payload: unknown;
  /** `exception` for a modeled error sent mid-stream (default `event`). */
  messageType?: "event" | "exception";
}

/** Event-stream bytes, one message per event, as Bedrock sends them. */
export function encodeEventStream(events: readonly WireEvent[]): Buffer {
  return Buffer.concat(
    events.map(({ event, payload, messageType = "event" }) =>
      codec.encode({
        headers: {
          [messageType === "event" ? ":event-type" : ":exception-type"]: { type: "string", value: event },
          ":content-type": { type: "string", value: "application/json" },
          ":message-type": { type: "string", value: messageType },
        },
        body: new Uint8Array(Buffer.from(JSON.stringify(payload), "utf8")),
      }),
    ),
  );
}

/**
 * A hand-written `*.events.json` stream: ConverseStream events as they are, InvokeModel
 * chunks (`{ event: "chunk", chunk }`) wrapped as Bedrock does, `{ bytes: base64(JSON) }`.
 */
export function readEventsRecording(name: string): WireEvent[] {
  const events = JSON.parse(readRecordingText(name)) as Array<{ event: string; payload?: unknown; chunk?: unknown }>;
  return events.map((e) =>
    e.chunk !== undefined
      ? { event: e.event, payload: { bytes: Buffer.from(JSON.stringify(e.chunk)).toString("base64") } }
      : { event: e.event, payload: e.payload },
  );
}

/** The bytes a HAR entry's response carried (base64 as one string or a JSON array of strings). */
export function harResponseBytes(entry: HarEntry): Buffer {
  const { content } = entry.response;
  const text = content.text ?? "";
  if (content.encoding !== "base64") return Buffer.from(text, "utf8");
  const parts = text.trim().startsWith("[") ? (JSON.parse(text) as string[]) : [text];
  return Buffer.concat(parts.map((p) => Buffer.from(p, "base64")));
}

/** One recorded exchange, ready to serve: status, the headers that matter, exact body bytes. */
export interface Exchange {
  method: string;
  url: URL;
  requestBody: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const SKIPPED_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "date", "content-encoding"]);

/** The exchanges of a HAR recording. */
export function harExchanges(name: string): Exchange[] {
  return readHar(name).map((entry) => {
    const headers: Record<string, string> = {};
    for (const h of entry.response.headers) {
      if (!SKIPPED_HEADERS.has(h.name.toLowerCase())) headers[h.name.toLowerCase()] = h.value;
    }
    return {
      method: entry.request.method,
      url: new URL(entry.request.url),
      requestBody: entry.request.postData?.text ?? "",
      status: entry.response.status,
      headers,
      body: harResponseBytes(entry),
    };
  });
}

/** A hand-written JSON reply: `{ status, headers, body }`. */
export function jsonReply(name: string): { status: number; headers: Record<string, string>; body: Buffer } {
  const reply = JSON.parse(readRecordingText(name)) as {
    status: number;
    headers: Record<string, string>;
    body: unknown;
  };
  return { status: reply.status, headers: reply.headers, body: Buffer.from(JSON.stringify(reply.body)) };
}

/** An event-stream reply, as Bedrock's streaming operations send it. */
export function eventStreamReply(events: readonly WireEvent[]): {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
} {
  return {
    status: 200,
    headers: {
      "content-type": "application/vnd.amazon.eventstream",
      "x-amzn-bedrock-content-type": "application/json",
    },
    body: encodeEventStream(events),
  };
}
