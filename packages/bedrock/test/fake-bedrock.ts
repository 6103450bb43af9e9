/**
 * A Bedrock Runtime endpoint on 127.0.0.1 speaking cleartext HTTP/2, which is what the SDK's
 * default request handler (`NodeHttp2Handler`) talks, so the tests run the client exactly as
 * an app does, only pointed at `endpoint`. It serves recorded or hand-written replies (exact
 * bytes) per request path and keeps the requests it received.
 */
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";

/** A reply: status, headers, and the exact body bytes. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A request the server received. */
export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeBedrock {
  /** e.g. `http://127.0.0.1:41234`, the client's `endpoint`. */
  url: string;
  /** Serves `reply` to the next request for `path` (queued: one reply per request). Paths match decoded. */
  once(path: string, reply: Reply): void;
  /** Serves `reply` (or what `reply(body)` returns) to every request for `path` with no queued reply. */
  always(path: string, reply: Reply | ((body: string) => Reply)): void;
  /** Forgets queued and standing replies and received requests. */
  reset(): void;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts the endpoint; `jitterMs` delays each reply by up to that much, so calls in flight interleave. */
export async function startFakeBedrock(options: { jitterMs?: number } = {}): Promise<FakeBedrock> {
  const queued = new Map<string, Reply[]>();
  const standing = new Map<string, Reply | ((body: string) => Reply)>();
  const requests: ReceivedRequest[] = [];
  const server: Http2Server = createServer();
  server.on("stream", (stream, headers) => {
    const path = decodeURIComponent(String(headers[":path"]));
    const chunks: Buffer[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("error", () => undefined); // a client that breaks off mid-stream resets it
    stream.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ path, headers: { ...headers }, body });
      const next = queued.get(path)?.shift();
      const fallback = standing.get(path);
      const reply: Reply = next ??
        (typeof fallback === "function" ? fallback(body) : fallback) ?? {
          status: 404,
          headers: { "content-type": "application/json", "x-amzn-errortype": "ResourceNotFoundException" },
          body: Buffer.from(JSON.stringify({ message: `fake Bedrock: no reply for ${path}` })),
        };
      const send = () => {
        if (stream.destroyed) return;
        stream.respond({ ":status": reply.status, ...reply.headers });
        stream.end(reply.body);
      };
      if (options.jitterMs) setTimeout(send, Math.random() * options.jitterMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    once(rawPath, reply) {
      const path = decodeURIComponent(rawPath);
      const list = queued.get(path) ?? [];
      list.push(reply);
      queued.set(path, list);
    },
    always(path, reply) {
      standing.set(decodeURIComponent(path), reply);
    },
    reset() {
      queued.clear();
      standing.clear();
      requests.length = 0;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The request path of an operation on a model. */
export function modelPath(
  modelId: string,
  action: "converse" | "converse-stream" | "invoke" | "invoke-with-response-stream",
): string {
  return `/model/${encodeURIComponent(modelId)}/${action}`;
}
