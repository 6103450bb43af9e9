import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TraceStore } from "@tracewright/core";
import { MAX_BODY_BYTES, UiApi } from "./api.js";
import { HttpError } from "./http-error.js";
import { INDEX_HTML, readAsset } from "./static-files.js";

/** Options of {@link startUiServer}. */
export interface UiServerOptions {
  /** The store to show. */
  store: TraceStore;
  /** Port to listen on (default 5173; 0 picks a free one). */
  port?: number;
  /**
   * Interface to bind (default `127.0.0.1`). Anything else must be asked for explicitly; only
   * then are requests naming another host accepted (otherwise they get 403, which also stops
   * DNS-rebinding pages from reading your traces).
   */
  host?: string;
}

/** A running UI server. */
export interface UiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Starts the trace viewer: the bundled app and its JSON API, on 127.0.0.1 unless told otherwise. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? "127.0.0.1";
  const localOnly = options.host === undefined || LOCAL_HOSTS.has(options.host);
  const api = new UiApi(options.store);
  const server = createServer((req, res) => {
    handle(api, req, res, localOnly).catch((e: unknown) => sendError(res, e));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 5173, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shownHost}:${port}/`, port, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function handle(api: UiApi, req: IncomingMessage, res: ServerResponse, localOnly: boolean): Promise<void> {
  const hostHeader = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  if (localOnly && !LOCAL_HOSTS.has(hostHeader)) {
    throw new HttpError(
      403,
      "FORBIDDEN_HOST",
      `This server only answers requests for 127.0.0.1 or localhost, not "${hostHeader.slice(0, 80)}". Start it with --host to serve other names.`,
    );
  }
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  const method = req.method ?? "GET";

  if (path.startsWith("/api/")) {
    refuseOtherSites(req);
    const traceMatch = /^\/api\/traces\/([^/]+)(\/feedback)?$/.exec(path);
    if (method === "GET" && path === "/api/experiments") return sendJson(res, 200, await api.experiments());
    if (method === "GET" && path === "/api/traces") return sendJson(res, 200, await api.listTraces(url.searchParams));
    if (traceMatch && !traceMatch[2] && method === "GET") {
      return sendJson(res, 200, await api.trace(decodePathPart(traceMatch[1] as string)));
    }
    if (traceMatch?.[2] && method === "POST") {
      const traceId = decodePathPart(traceMatch[1] as string);
      const body = await readJsonBody(req);
      return sendJson(res, 201, await api.addFeedback(traceId, body));
    }
    throw new HttpError(404, "NOT_FOUND", `No API route ${method} ${path}.`);
  }
  if (method !== "GET" && method !== "HEAD")
    throw new HttpError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed here.`);
  if (path.startsWith("/assets/")) {
    const asset = await readAsset(path.slice("/assets/".length));
    if (!asset) throw new HttpError(404, "NOT_FOUND", `No asset ${path}.`);
    res.writeHead(200, { "content-type": asset.type, "cache-control": "no-cache" });
    res.end(method === "HEAD" ? undefined : asset.body);
    return;
  }
  if (path === "/favicon.ico") {
    res.writeHead(204);
    res.end();
    return;
  }
  if (path === "/" || path === "/index.html") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" });
    res.end(method === "HEAD" ? undefined : INDEX_HTML);
    return;
  }
  throw new HttpError(404, "NOT_FOUND", `Nothing at ${path}.`);
}

/**
 * The API serves this app's own pages only. Browsers mark every request with where it comes from
 * (`Sec-Fetch-Site`), so a page elsewhere, even another port of localhost (`same-site`), cannot
 * make the server run filters or store feedback through an `<img>` or a form. Clients that send
 * no such header (curl, scripts) are not browsers acting for another page and are served.
 */
function refuseOtherSites(req: IncomingMessage): void {
  const site = req.headers["sec-fetch-site"];
  if (site === undefined || site === "same-origin" || site === "none") return;
  throw new HttpError(403, "CROSS_SITE", "The API only answers the viewer's own pages, not requests from other sites.");
}

/** A percent-encoded path segment; broken encoding (`%`, `%zz`, a cut UTF-8 sequence) is the client's error. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, "INVALID_PATH", `The path segment "${part.slice(0, 80)}" is not valid percent-encoding.`);
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    // also keeps cross-site form posts out: they cannot send this content type without a preflight
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "BODY_TOO_LARGE", `The body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "INVALID_JSON", "The body is not valid JSON.");
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpError) {
    sendJson(res, e.status, { error: { code: e.code, message: e.message } });
    return;
  }
  console.error("tracewright ui: request failed", e);
  sendJson(res, 500, { error: { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) } });
}
