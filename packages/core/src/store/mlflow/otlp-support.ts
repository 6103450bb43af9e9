import { processSingleton } from "../../internal/process-state.js";
import { type MlflowRestClient, MlflowRestError } from "./rest-client.js";

/** MLflow's tracking server ingests OTLP spans (`POST /v1/traces`) from this version on. */
const FIRST_OTLP_VERSION = [3, 4] as const;

/**
 * Whether each tracking server takes OTLP spans, by base URL, for every store of the process
 * (a store is made anew whenever the tracking URI is set): one probe per server, not per trace.
 */
const answers = processSingleton("mlflow-otlp-support", () => new Map<string, Promise<boolean>>());

/** True when `version` (`"3.11.2.dev0"`, `"3.4.0"`) is at least 3.4. */
export function versionIngestsOtlp(version: string): boolean {
  const match = /^\s*(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > FIRST_OTLP_VERSION[0] || (major === FIRST_OTLP_VERSION[0] && minor >= FIRST_OTLP_VERSION[1]);
}

/**
 * Asks the server its version (`GET /version`, as MLflow's Python client does before its first
 * export) and caches the answer. A server without the endpoint (404) is an old one. A network
 * failure is not an answer: it is not cached, and the caller's delivery fails and is retried.
 */
export function serverIngestsOtlp(baseUrl: string, client: MlflowRestClient): Promise<boolean> {
  let answer = answers.get(baseUrl);
  if (answer === undefined) {
    answer = client.request<unknown>("GET", "/version").then(
      // the body is plain text; a bare "3.4" parses as the JSON number 3.4
      (body) => (typeof body === "string" || typeof body === "number") && versionIngestsOtlp(String(body)),
      (e: unknown) => {
        if (e instanceof MlflowRestError && e.status >= 400 && e.status < 500) return false;
        answers.delete(baseUrl);
        throw e;
      },
    );
    answers.set(baseUrl, answer);
  }
  return answer;
}

/** Records that the server refused OTLP spans (404 / 501): later traces go as `traces.json`. */
export function markOtlpUnsupported(baseUrl: string): void {
  answers.set(baseUrl, Promise.resolve(false));
}

/** True when an answer to `POST /v1/traces` means the server has no OTLP ingest. */
export const isOtlpUnsupportedAnswer = (e: unknown): boolean =>
  e instanceof MlflowRestError &&
  (e.status === 404 || e.status === 501 || e.message.includes("REST OTLP span logging is not supported"));
