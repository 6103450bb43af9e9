// A stand-in for Bedrock Runtime when no AWS credentials are set: a local HTTP/2 endpoint (what
// the SDK's default handler speaks) that answers Converse calls with the hand-written replies in
// AWS's documented format that the tests use, in order, so the example runs with no account.
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";

export interface ReplayEndpoint {
  url: string;
  close(): Promise<void>;
}

/** Serves `replies` (each `{ status, headers, body }`) to successive requests. */
export async function startReplayEndpoint(
  replies: Array<{ status: number; headers: Record<string, string>; body: unknown }>,
): Promise<ReplayEndpoint> {
  const queue = [...replies];
  const server = createServer();
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream) => {
    stream.resume();
    stream.on("end", () => {
      const reply = queue.shift() ?? { status: 500, headers: {}, body: { message: "no more recorded replies" } };
      stream.respond({ ":status": reply.status, ...reply.headers });
      stream.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The recorded replies of the weather conversation: the tool call, then the answer. */
export async function weatherReplies() {
  const { nock, readRecordingText } = await import("@tracewright/testing");
  nock.restore(); // nock's interceptors stall HTTP/2 sessions; this endpoint is a real server
  return ["handwritten-bedrock-converse-tool-use.json", "handwritten-bedrock-converse-tool-answer.json"].map(
    (name) => JSON.parse(readRecordingText(name)) as { status: number; headers: Record<string, string>; body: unknown },
  );
}
