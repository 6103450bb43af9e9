import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import nock from "nock";

/** Directory of the recordings shipped with this package. */
/** Directory of the recordings shipped with this package (next to `src/` and `dist/`). */
export const RECORDINGS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "recordings");

/** Absolute path of a recording by file name. */
export function recordingPath(name: string): string {
  const path = join(RECORDINGS_DIR, name);
  if (!existsSync(path)) throw new Error(`No recording named "${name}" in ${RECORDINGS_DIR}`);
  return path;
}

/** The decoded JSON (or text) body of one nock definition, as the API sent it. */
export function decodeNockResponse(def: nock.Definition): unknown {
  const response = def.response as unknown;
  if (Array.isArray(response) && response.every((x) => typeof x === "string")) {
    const bytes = Buffer.from((response as string[]).join(""), "hex");
    const text = gunzipSync(bytes).toString("utf8");
    return JSON.parse(text);
  }
  return response;
}

/** Reads a nock definitions file (what `nock.recorder` writes). */
export function readNockRecording(name: string): nock.Definition[] {
  return JSON.parse(readFileSync(recordingPath(name), "utf8")) as nock.Definition[];
}

/**
 * Replays a nock definitions recording: one interceptor per recorded exchange, matched on
 * method and path (and on the recorded request body with `matchBody: true`). Bodies recorded
 * gzip-compressed are served decoded.
 */
export function replayNockRecording(name: string, options: { matchBody?: boolean } = {}): nock.Scope[] {
  const defs = readNockRecording(name);
  if (options.matchBody) return nock.define(defs);
  return defs.map((def) => {
    const headers: Record<string, string> = {};
    const raw = (def as { rawHeaders?: Record<string, string> | string[] }).rawHeaders ?? {};
    const pairs: Array<[string, string]> = Array.isArray(raw)
      ? raw.flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1] as string] as [string, string]] : []))
      : Object.entries(raw);
    for (const [k, v] of pairs) {
      const key = k.toLowerCase();
      if (key === "content-encoding" || key === "content-length" || key === "transfer-encoding") continue;
      headers[key] = v;
    }
    const body = decodeNockResponse(def);
    return nock(def.scope)
      .intercept(def.path, def.method ?? "POST")
      .reply(def.status ?? 200, typeof body === "string" ? body : JSON.stringify(body), headers);
  });
}

export interface HarEntry {
  request: { method: string; url: string; postData?: { text?: string } };
  response: {
    status: number;
    headers: Array<{ name: string; value: string }>;
    content: { mimeType?: string; text?: string; encoding?: string };
  };
}

/** The body a HAR entry's response carried, decoded (base64 chunks, gzip) to text. */
export function harResponseText(entry: HarEntry): string {
  const { content, headers } = entry.response;
  if (content.encoding !== "base64") return content.text ?? "";
  const parts = JSON.parse(content.text ?? "[]") as string[];
  const bytes = Buffer.concat(parts.map((p) => Buffer.from(p, "base64")));
  const gzip = headers.some((h) => h.name.toLowerCase() === "content-encoding" && h.value.includes("gzip"));
  return (gzip ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Reads the entries of a HAR recording. */
export function readHar(name: string): HarEntry[] {
  return (JSON.parse(readFileSync(recordingPath(name), "utf8")) as { log: { entries: HarEntry[] } }).log.entries;
}

/**
 * Replays a HAR recording (Polly.JS style) with nock, matching method and URL path; `only`
 * keeps some of its exchanges (e.g. the embeddings, to serve a streamed chat after them).
 */
export function replayHar(name: string, options: { only?: (entry: HarEntry) => boolean } = {}): nock.Scope[] {
  return readHar(name)
    .filter((entry) => options.only?.(entry) ?? true)
    .map((entry) => {
      const url = new URL(entry.request.url);
      const contentType =
        entry.response.headers.find((h) => h.name.toLowerCase() === "content-type")?.value ??
        entry.response.content.mimeType ??
        "application/json";
      const text = harResponseText(entry);
      return (
        nock(url.origin)
          .intercept(url.pathname + url.search, entry.request.method)
          // nock 15 hands a reply function the fetch Request
          .reply(entry.response.status, async (request: Request) => asRequestedEncoding(text, await request.text()), {
            "content-type": contentType,
          })
      );
    });
}

/**
 * An embeddings body in the encoding the replayed request asks for. The openai SDK asks for
 * `encoding_format: "base64"` unless told otherwise, and the API then sends each vector as the
 * base64 of its little-endian float32 bytes; recordings made with float requests are converted
 * the same way, so the SDK decodes the recorded vectors exactly.
 */
function asRequestedEncoding(text: string, requestBody: string): string {
  const request = safeJson(requestBody);
  if ((request as { encoding_format?: unknown } | null)?.encoding_format !== "base64") return text;
  const body = safeJson(text) as { data?: Array<{ embedding?: unknown }> } | null;
  if (!Array.isArray(body?.data)) return text;
  for (const item of body.data) {
    if (Array.isArray(item.embedding)) {
      item.embedding = Buffer.from(new Float32Array(item.embedding as number[]).buffer).toString("base64");
    }
  }
  return JSON.stringify(body);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** SSE text from a body-only `*.chunks.txt` recording (one JSON payload per line). */
export function chunksToSse(name: string, options: { eventNames?: boolean; done?: boolean } = {}): string {
  const lines = readFileSync(recordingPath(name), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  let out = "";
  for (const line of lines) {
    if (options.eventNames) out += `event: ${(JSON.parse(line) as { type: string }).type}\n`;
    out += `data: ${line}\n\n`;
  }
  if (options.done ?? !options.eventNames) out += "data: [DONE]\n\n";
  return out;
}

/** Serves `body` once for `method path` on api.openai.com (or `origin`). */
export function replayBody(options: {
  path: string;
  body: string | object;
  status?: number;
  method?: string;
  origin?: string;
  headers?: Record<string, string>;
  /** Delay the response by this many milliseconds (timeouts, aborts, slow servers). */
  delayMs?: number;
}): nock.Scope {
  const text = typeof options.body === "string" ? options.body : null;
  const sse = text !== null && (text.startsWith("data:") || text.startsWith("event:"));
  const interceptor = nock(options.origin ?? "https://api.openai.com").intercept(
    options.path,
    options.method ?? "POST",
  );
  return (options.delayMs ? interceptor.delay(options.delayMs) : interceptor).reply(
    options.status ?? 200,
    typeof options.body === "string" ? options.body : JSON.stringify(options.body),
    {
      "content-type": sse ? "text/event-stream" : "application/json",
      ...options.headers,
    },
  );
}

/** Reads a recording file as text (SSE bodies, JSON bodies). */
export function readRecordingText(name: string): string {
  return readFileSync(recordingPath(name), "utf8");
}

/**
 * Record mode: with `TRACEWRIGHT_RECORD=1` and a real API key in the environment, runs `fn`
 * against the live API and saves the exchanges as a nock recording named `name` (secrets
 * stripped); otherwise replays that recording. Returns what `fn` returns.
 */
export async function withRecording<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const recording = process.env.TRACEWRIGHT_RECORD === "1" && Boolean(process.env.OPENAI_API_KEY);
  if (!recording) {
    replayNockRecording(name);
    return fn();
  }
  nock.restore();
  nock.recorder.clear();
  nock.recorder.rec({ output_objects: true, dont_print: true, enable_reqheaders_recording: false });
  try {
    return await fn();
  } finally {
    const defs = (nock.recorder.play() as nock.Definition[]).map((d) => {
      const clean = { ...d } as nock.Definition & { rawHeaders?: unknown; reqheaders?: unknown };
      delete clean.reqheaders;
      if (Array.isArray(clean.rawHeaders)) {
        const raw = clean.rawHeaders as string[];
        const kept: string[] = [];
        for (let i = 0; i < raw.length; i += 2) {
          const key = String(raw[i]).toLowerCase();
          if (["set-cookie", "openai-organization", "openai-project", "x-request-id", "cf-ray"].includes(key)) continue;
          kept.push(raw[i] as string, raw[i + 1] as string);
        }
        (clean as { rawHeaders?: unknown }).rawHeaders = kept;
      }
      return clean;
    });
    const path = join(RECORDINGS_DIR, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(defs, null, 2)}\n`);
    nock.recorder.clear();
    nock.activate();
  }
}

export { nock };
