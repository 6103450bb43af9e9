import { AsyncLocalStorage } from "node:async_hooks";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * Requests made in the background — deliveries to a remote destination and the experiment lookups
 * they need — must never keep the process alive: a server that accepts a connection and never
 * answers would otherwise hold the event loop for the whole request timeout, so `beforeExit`
 * (where queued traces are made durable) would never run and a natural exit would wait. Code
 * running inside {@link runInBackground} sends its HTTP requests on unref'd sockets; requests
 * the user awaits (reads, searches) keep using `fetch` and hold the loop as they should.
 */
const background = new AsyncLocalStorage<true>();

/** Runs `fn` (and everything it awaits) as background work. */
export function runInBackground<T>(fn: () => T): T {
  return background.run(true, fn);
}

/** True inside {@link runInBackground}. */
export const inBackground = (): boolean => background.getStore() === true;

/** The part of a fetch `Response` the REST client reads. */
export interface MinimalResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * `fetch(url, init)` for background requests, on a socket that does not keep the process alive.
 * The whole body is read before it resolves; a body cut short or a timeout rejects.
 */
export function backgroundFetch(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array; timeoutMs: number },
): Promise<MinimalResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, { method: init.method, headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("aborted", () => reject(new Error("the connection closed before the reply ended")));
      res.on("error", reject);
      res.on("end", () => {
        if (!res.complete) {
          reject(new Error("the connection closed before the reply ended"));
          return;
        }
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          headers: {
            get: (name) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
            },
          },
          text: async () => text,
        });
      });
    });
    req.on("socket", (socket) => socket.unref());
    req.setTimeout(init.timeoutMs, () => req.destroy(new Error(`timed out after ${init.timeoutMs} ms`)));
    req.on("error", reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
