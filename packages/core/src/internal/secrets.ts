/**
 * Secret detection for recorded payloads. Every span's inputs, outputs and attributes pass through
 * core's JSON encoding, whatever integration created the span, so the checks here apply to all of
 * them. Two kinds of evidence:
 * - the key a value sits under (`apiKey`, `openaiApiKey`, `OPENAI_API_KEY`, `api_token`,
 *   `client_secret`, `Authorization`, ...), judged by its last word so that counters such as
 *   `max_tokens`, `prompt_tokens`, `token_usage` or `mlflow.chat.tokenUsage` stay readable;
 * - the shape of a string wherever it sits: provider keys (`sk-…`, `AKIA…`, `ghp_…`), `Bearer`
 *   and `Basic` credentials, and `user:password@` inside URLs.
 *
 * Cost: the encoder first runs {@link mayHoldSecret} over the finished JSON (two regex scans); only
 * when it hits is the payload encoded again with per-key and per-string checks.
 */

/** What a secret's value is recorded as. */
export const REDACTED = "[REDACTED]";

/**
 * Cheap pre-check over encoded JSON for a key ending in a secret word (`"…token":`,
 * `"…apiKey":`). It scans for the literal `":` that ends every key and only then looks behind, which
 * keeps it a fraction of the cost of encoding.
 */
const KEY_HINT =
  /":(?<=(?:pass(?:word|wd|phrase)|secrets?|api[_-]?key|token|authorization|auth|credentials?|cookie|(?:access|private|secret|signing|encryption|master|subscription|session|account)[_-]?key)\\?":)/i;
// (the optional backslash: JSON text held in a string, such as a request body, shows its keys as `\"password\":`)

/**
 * Cheap pre-check for a secret-shaped value. Case-sensitive on purpose (a case-insensitive
 * alternation is several times slower in V8); the case variants that occur are spelled out.
 */
const SHAPE_HINT =
  /\bsk-|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abposr]-|AIza|[Bb]earer\s|BEARER\s|[Bb]asic\s|BASIC\s|:\/\/[^\s/@"]*:[^\s/@"]*@/;

/**
 * True when `json` may contain a secret: a secret-looking key or a secret-shaped value. A hit only
 * means "look closer"; a miss means there is nothing to redact.
 */
export function mayHoldSecret(json: string): boolean {
  return KEY_HINT.test(json) || SHAPE_HINT.test(json);
}

/** True when `s` may hold a secret-shaped value (a provider key, a credential, a password in a URL). */
export function looksLikeSecret(s: string): boolean {
  return SHAPE_HINT.test(s);
}

/** Secret-shaped substrings, replaced wherever they occur inside a string. */
const SHAPES =
  /\bsk-[\w-]{16,}|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_\w{30,}|\bgithub_pat_\w{20,}|\bxox[abposr]-[\w-]{10,}|\bAIza[\w-]{35}|\b(bearer)\s+(?=[\w.~+/-]*[\d.~+/_-])[\w.~+/-]{8,}=*|\b(basic)\s+([A-Za-z0-9+/]{6,}={0,2})|\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"']+:)[^\s/?#@"']+@/gi;
/** A whole value that is a bearer credential (`Bearer x`), whatever its length. */
const AUTH_VALUE = /^bearer\s+\S+$/i;

function isBasicCredential(b64: string): boolean {
  try {
    // a Basic credential is base64 of "user:password"; ordinary words after "Basic" are not
    return Buffer.from(b64, "base64").toString("latin1").includes(":");
  } catch {
    return false;
  }
}

/** A secret-looking key inside JSON text held in a string (`{"password": "x"}` as a request body). */
const EMBEDDED_KEY_HINT =
  /"\s*:(?<=(?:pass(?:word|wd|phrase)|secrets?|api[_-]?key|token|authorization|auth|credentials?|cookie|(?:access|private|secret|signing|encryption|master|subscription|session|account)[_-]?key)"\s*:)/i;
/** A `"key": "string value"` pair of such JSON text. */
const EMBEDDED_PAIR = /"([^"\\]{1,100})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

/** `s` with secret-shaped parts replaced by {@link REDACTED}; `s` itself when there are none. */
export function redactSecretsInString(s: string): string {
  let out = s;
  if (SHAPE_HINT.test(out)) {
    if (AUTH_VALUE.test(out)) return REDACTED;
    out = out.replace(SHAPES, (match, bearer, basic, b64, urlPrefix) => {
      if (bearer !== undefined) return `${bearer} ${REDACTED}`;
      if (basic !== undefined) return isBasicCredential(b64) ? `${basic} ${REDACTED}` : match;
      if (urlPrefix !== undefined) return `${urlPrefix}${REDACTED}@`;
      return REDACTED;
    });
  }
  if (out.includes('"') && EMBEDDED_KEY_HINT.test(out)) {
    out = out.replace(EMBEDDED_PAIR, (match, key: string, sep: string, value: string) =>
      value !== "" && isSecretKey(key) ? `"${key}"${sep}"${REDACTED}"` : match,
    );
  }
  return out;
}

/** Last words that name a secret on their own (`password`, `clientSecret`, `api_token`, `openaiApiKey`). */
const SECRET_LAST_WORD =
  /(?:password|passwd|passphrase|secret|secrets|apikey|token|authorization|credentials?|cookie)$/;
/** A `…_key` is secret after these words (`AWS_SECRET_ACCESS_KEY`, `privateKey`, `x-api-key`). */
const KEY_QUALIFIERS = new Set([
  "api",
  "access",
  "private",
  "secret",
  "signing",
  "encryption",
  "master",
  "subscription",
  "session",
  "account",
]);
/** `…_token` keys that name a vocabulary entry or a page cursor, not a credential. */
const TOKEN_NOT_SECRET = new Set(["eos", "bos", "pad", "unk", "sep", "cls", "mask", "stop", "special", "page", "next"]);
/** Keys whose object value is looked into rather than hidden whole (an OAuth reply's `scope` is useful). */
const CONTAINER_WORDS = new Set(["token", "auth", "credentials"]);

type KeyKind = "plain" | "secret" | "container";
const keyKinds = new Map<string, KeyKind>();

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function classify(key: string): KeyKind {
  const w = words(key);
  const last = w[w.length - 1];
  if (last === undefined) return "plain";
  const before = w[w.length - 2];
  if (last === "key") return before !== undefined && KEY_QUALIFIERS.has(before) ? "secret" : "plain";
  if (last === "auth") return "container";
  if (!SECRET_LAST_WORD.test(last)) return "plain";
  if (last === "token" && before !== undefined && TOKEN_NOT_SECRET.has(before)) return "plain";
  return w.length === 1 && CONTAINER_WORDS.has(last) ? "container" : "secret";
}

function keyKind(key: string): KeyKind {
  let kind = keyKinds.get(key);
  if (kind === undefined) {
    kind = classify(key);
    if (keyKinds.size > 10_000) keyKinds.clear(); // keys are mostly a small, repeating vocabulary
    keyKinds.set(key, kind);
  }
  return kind;
}

/** True when `key` names a secret (`apiKey`, `OPENAI_API_KEY`, `api_token`, `Authorization`; not `max_tokens`). */
export function isSecretKey(key: string): boolean {
  return keyKind(key) !== "plain";
}

const AWS_KEY_ID = /^(?:AKIA|ASIA)[0-9A-Z]{16}$/;
const AWS_SECRET_SHAPE = /^[A-Za-z0-9/+]{40}$/;
/** `fetch`'s `credentials` option names a policy, not a secret. */
const FETCH_CREDENTIALS = new Set(["omit", "same-origin", "include"]);

function holdsAwsKeyId(holder: unknown): boolean {
  if (holder === null || typeof holder !== "object") return false;
  for (const v of Object.values(holder)) if (typeof v === "string" && AWS_KEY_ID.test(v)) return true;
  return false;
}

/**
 * True when `value`, found under `key` in `holder`, must be recorded as {@link REDACTED}. Empty
 * values and booleans are kept (they say a secret is unset, not what it is); an object under a
 * bare `token`/`auth`/`credentials` key is looked into instead; `{token, logprob}` entries (OpenAI
 * logprobs) are text, not credentials; a 40-character string beside an AWS access key id is its
 * secret key.
 */
export function isSecretValue(key: string, value: unknown, holder: unknown): boolean {
  if (value === null || value === undefined || value === "" || typeof value === "boolean") return false;
  const kind = keyKind(key);
  if (kind === "plain") {
    return typeof value === "string" && value.length === 40 && AWS_SECRET_SHAPE.test(value) && holdsAwsKeyId(holder);
  }
  if (kind === "container") {
    if (typeof value === "object") return false;
    if (key === "token" && holder !== null && typeof holder === "object" && "logprob" in holder) return false;
    if (typeof value === "string" && FETCH_CREDENTIALS.has(value)) return false;
  }
  return true;
}
