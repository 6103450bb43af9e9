import { ConfigurationError, TracewrightError } from "../../errors.js";
import { backgroundFetch, inBackground, type MinimalResponse } from "../../internal/background-io.js";
import { brandClass } from "../../internal/process-state.js";

/** An error answer from an MLflow tracking server (`{error_code, message}`) or a failed request. */
export class MlflowRestError extends TracewrightError {
  override name = "MlflowRestError";
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
    /** From a `Retry-After` header, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** How to reach and authenticate with a tracking server. */
export interface MlflowConnection {
  /** e.g. `http://localhost:5000` */
  baseUrl: string;
  /** Bearer token (`MLFLOW_TRACKING_TOKEN`). */
  token?: string;
  /** Basic auth (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`). */
  username?: string;
  password?: string;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** Per-request timeout (default 30 s; `MLFLOW_HTTP_REQUEST_TIMEOUT`, in seconds, from the environment). */
  timeoutMs?: number;
  /**
   * Send spans to the server's OTLP ingest endpoint (`/v1/traces`, MLflow >= 3.4), as MLflow's
   * Python client does: the server then keeps them in its database, indexed for `span.*`
   * filters, and merges the spans of a distributed trace. `"auto"` (the default) asks the
   * server once (`GET /version`) and falls back to the `traces.json` upload on older servers
   * or when the endpoint answers 404 / 501; `true` always uses it, `false` never
   * (`TRACEWRIGHT_MLFLOW_OTLP_INGEST=auto|true|false`).
   */
  otlpIngest?: boolean | "auto";
}

function decodeUserInfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // not percent-encoding after all: take it as written
  }
}

/**
 * Moves `user:password@` out of the base URL into Basic credentials. fetch refuses a URL that
 * carries credentials, and the URL is printed in diagnostics, so it must never keep them.
 * Credentials given explicitly (a token, or a username) win over those in the URL, as in MLflow.
 */
export function withUrlCredentials(connection: MlflowConnection): MlflowConnection {
  let url: URL;
  try {
    url = new URL(connection.baseUrl);
  } catch {
    return connection; // the request reports the bad URL; nothing to move
  }
  if (url.username === "" && url.password === "") return connection;
  const username = decodeUserInfo(url.username);
  const password = decodeUserInfo(url.password);
  url.username = "";
  url.password = "";
  const out: MlflowConnection = { ...connection, baseUrl: url.toString().replace(/\/+$/, "") };
  if (connection.token === undefined && connection.username === undefined) {
    out.username = username;
    out.password = password;
  }
  return out;
}

/** Connection settings from the environment, MLflow's variable names; URL credentials become Basic auth. */
export function connectionFromEnv(baseUrl: string): MlflowConnection {
  const c: MlflowConnection = { baseUrl: baseUrl.replace(/\/+$/, "") };
  const env = process.env;
  if (env.MLFLOW_TRACKING_TOKEN) c.token = env.MLFLOW_TRACKING_TOKEN;
  if (env.MLFLOW_TRACKING_USERNAME) c.username = env.MLFLOW_TRACKING_USERNAME;
  if (env.MLFLOW_TRACKING_PASSWORD) c.password = env.MLFLOW_TRACKING_PASSWORD;
  // extra headers, OpenTelemetry style: "k1=v1,k2=v2"
  const extra = env.TRACEWRIGHT_TRACKING_HEADERS;
  if (extra) {
    c.headers = {};
    for (const pair of extra.split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0)
        c.headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    }
  }
  const ingest = env.TRACEWRIGHT_MLFLOW_OTLP_INGEST?.trim().toLowerCase();
  if (ingest === "true") c.otlpIngest = true;
  else if (ingest === "false") c.otlpIngest = false;
  else if (ingest && ingest !== "auto") {
    throw new ConfigurationError(
      `TRACEWRIGHT_MLFLOW_OTLP_INGEST must be "auto", "true" or "false", got ${JSON.stringify(env.TRACEWRIGHT_MLFLOW_OTLP_INGEST)}.`,
    );
  }
  // MLflow's own variable, in seconds
  const timeout = Number(env.MLFLOW_HTTP_REQUEST_TIMEOUT);
  if (env.MLFLOW_HTTP_REQUEST_TIMEOUT && Number.isFinite(timeout) && timeout > 0) c.timeoutMs = timeout * 1000;
  return withUrlCredentials(c);
}

/** A small JSON-over-HTTP client for MLflow's REST API. Never logs credentials. */
export class MlflowRestClient {
  private readonly connection: MlflowConnection;
  constructor(connection: MlflowConnection) {
    // also for connections built by hand: the base URL that is fetched and logged has no credentials
    this.connection = withUrlCredentials(connection);
  }

  private headers(contentType: string | null): Record<string, string> {
    const h: Record<string, string> = { "User-Agent": "tracewright", ...this.connection.headers };
    if (contentType) h["Content-Type"] = contentType;
    if (this.connection.token) h.Authorization = `Bearer ${this.connection.token}`;
    else if (this.connection.username !== undefined) {
      const basic = Buffer.from(`${this.connection.username}:${this.connection.password ?? ""}`).toString("base64");
      h.Authorization = `Basic ${basic}`;
    }
    return h;
  }

  /** Sends a request; resolves with the parsed JSON body (or text), rejects with {@link MlflowRestError}. */
  async request<T = unknown>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      query?: Record<string, string | string[]>;
      raw?: string | Uint8Array;
      contentType?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<T> {
    const url = new URL(this.connection.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
    }
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    let response: MinimalResponse;
    let text: string;
    const headers = {
      ...this.headers(body === undefined ? null : (options.contentType ?? "application/json")),
      ...options.headers,
    };
    const timeoutMs = this.connection.timeoutMs ?? 30_000;
    try {
      response = inBackground()
        ? await backgroundFetch(url, { method, headers, ...(body !== undefined ? { body } : {}), timeoutMs })
        : await fetch(url, {
            method,
            headers,
            ...(body !== undefined ? { body } : {}),
            signal: AbortSignal.timeout(timeoutMs),
          });
      // inside the try: a body cut short (connection closed, timeout) is a network failure, not an answer
      text = await response.text();
    } catch (e) {
      throw new MlflowRestError(
        `Cannot reach the MLflow tracking server at ${this.connection.baseUrl} (${method} ${path}): ${(e as Error).message}`,
        0,
        undefined,
      );
    }
    if (!response.ok) {
      let code: string | undefined;
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error_code?: string; message?: string; detail?: unknown };
        code = parsed.error_code;
        message = parsed.message ?? (parsed.detail !== undefined ? JSON.stringify(parsed.detail) : text);
      } catch {
        // not JSON: keep the text
      }
      throw new MlflowRestError(
        `MLflow ${method} ${path} failed with ${response.status}${code ? ` ${code}` : ""}: ${message}`,
        response.status,
        code,
        retryAfter(response.headers.get("retry-after")),
      );
    }
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as T;
    }
  }
}

// `instanceof` works for errors thrown by another copy of core loaded in the same process.
brandClass(MlflowRestError, "MlflowRestError");
