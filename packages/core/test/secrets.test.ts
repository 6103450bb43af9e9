/**
 * Secrets never reach a stored span, whatever created it: core's JSON encoding (the one place every
 * span payload passes) redacts values under secret-looking keys and secret-shaped strings, and
 * leaves ordinary words (token counts, MLflow's own attribute names) alone.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { flushTraces, setTraceStore, setTrackingUri, trace, withSpan } from "../src/index.js";
import { toJson } from "../src/internal/json.js";
import { FakeMlflowServer } from "./fake-mlflow-server.js";
import { useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

const OPENAI_KEY = "sk-proj-Abc123placeholderKEY0987654321xyz";
const AWS_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** Every secret the payloads below carry: none may appear in what is stored. */
const SECRETS = [
  OPENAI_KEY,
  "lc-openai-key-value",
  "tok-value-1",
  "api-token-value-2",
  "placeholder-bearer-credential-0001",
  "hunter2-in-url",
  AWS_ID,
  AWS_SECRET,
  "ghp_0123456789abcdefghijABCDEFGHIJ012345",
  "db-password-value",
  "session-token-value",
];

const payload = () => ({
  // LangChain's ChatOpenAI option name
  llm: { openaiApiKey: "lc-openai-key-value", modelName: "gpt-4o-mini", temperature: 0 },
  auth: { token: "tok-value-1", api_token: "api-token-value-2" },
  headers: { "X-Forwarded-Auth": "Bearer placeholder-bearer-credential-0001", Accept: "application/json" },
  url: "https://alice:hunter2-in-url@example.com/v1/models",
  key: OPENAI_KEY,
  // a captured process.env
  env: {
    OPENAI_API_KEY: OPENAI_KEY,
    AWS_ACCESS_KEY_ID: AWS_ID,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    GITHUB_TOKEN: "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    DATABASE_PASSWORD: "db-password-value",
    AWS_SESSION_TOKEN: "session-token-value",
    HOME: "/home/alice",
    PWD: "/srv/app",
  },
  aws: { accessKeyId: AWS_ID, secret: AWS_SECRET },
  creds: { id: AWS_ID, value: AWS_SECRET },
});

describe("secret redaction", () => {
  it("redacts secrets by key pattern and value shape in every span payload", async () => {
    const call = trace(function call(p: unknown) {
      return p;
    });
    call(payload());
    withSpan({ name: "manual", inputs: payload(), attributes: { note: `key ${OPENAI_KEY}` } }, (span) => {
      span.setAttribute("header", "Bearer placeholder-bearer-credential-0001");
      span.setOutputs({ connection: "postgres://svc:hunter2-in-url@db:5432/app" });
    });
    await flushTraces();
    const json = store()
      .allTraces()
      .map((t) => t.toJson())
      .join("\n");
    for (const secret of SECRETS) expect(json, secret).not.toContain(secret);

    const inputs = store().allTraces()[0]!.data.spans[0]!.inputs as { p: ReturnType<typeof payload> };
    expect(inputs.p.llm).toEqual({ openaiApiKey: "[REDACTED]", modelName: "gpt-4o-mini", temperature: 0 });
    expect(inputs.p.auth).toEqual({ token: "[REDACTED]", api_token: "[REDACTED]" });
    expect(inputs.p.headers).toEqual({ "X-Forwarded-Auth": "[REDACTED]", Accept: "application/json" });
    expect(inputs.p.url).toBe("https://alice:[REDACTED]@example.com/v1/models");
    expect(inputs.p.env.HOME).toBe("/home/alice");
    expect(inputs.p.env.PWD).toBe("/srv/app");
    expect(inputs.p.env.OPENAI_API_KEY).toBe("[REDACTED]");
    expect(inputs.p.creds).toEqual({ id: "[REDACTED]", value: "[REDACTED]" });
  });

  it.each([
    ["Bearer value in prose", "call with Bearer abc.def-123456 please", "call with Bearer [REDACTED] please"],
    ["Basic credential", "Authorization was Basic YWxpY2U6c2VjcmV0", "Authorization was Basic [REDACTED]"],
    ["URL credentials", "redis://default:p4ss@cache:6379/0", "redis://default:[REDACTED]@cache:6379/0"],
    ["an OpenAI key", `use ${OPENAI_KEY} here`, "use [REDACTED] here"],
    [
      "secret keys of JSON text held in a string (a request body)",
      '{"username": "alice", "password": "hunter2", "max_tokens": 5, "api_token":"t-1"}',
      '{"username": "alice", "password": "[REDACTED]", "max_tokens": 5, "api_token":"[REDACTED]"}',
    ],
  ])("redacts %s inside a string", (_name, input, expected) => {
    expect(JSON.parse(toJson(input))).toBe(expected);
    expect(JSON.parse(toJson({ text: input }))).toEqual({ text: expected });
  });

  it("keeps ordinary words, token counts and MLflow's attribute names", () => {
    const usage = {
      "mlflow.chat.tokenUsage": { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
      "mlflow.trace.tokenUsage": { input_tokens: 1 },
      max_tokens: 256,
      max_completion_tokens: 100,
      tokens: ["Hello", " world"],
      token_usage: { prompt_tokens: 3, completion_tokens: 4 },
      tokenCount: 7,
      nextPageToken: "offset:100",
      eos_token: "</s>",
      logprobs: { content: [{ token: "Hello", logprob: -0.01, top_logprobs: [{ token: "Hi", logprob: -2 }] }] },
      keyTakeaways: "A basic plan; the bearer of news; a secret_name",
      secret_name: "prod-db",
      author: "alice",
      credentials: "same-origin",
      passwordHint: "your pet",
      apiKey: "",
      hasPassword: false,
      url: "https://example.com:8443/a@b",
      email: "alice@example.com",
      sku: "task-list-item",
    };
    expect(JSON.parse(toJson(usage))).toEqual(usage);
  });
});

describe("credentials inside MLFLOW_TRACKING_URI", () => {
  it("are sent as a Basic Authorization header, never in the URL, and never logged", async () => {
    const server = await new FakeMlflowServer().start();
    process.env.TRACEWRIGHT_SPOOL_DIR = mkdtempSync(join(tmpdir(), "tw-spool-creds-"));
    const printed: string[] = [];
    const capture = (...args: unknown[]) => {
      printed.push(args.map(String).join(" "));
    };
    const spies = [
      vi.spyOn(console, "warn").mockImplementation(capture),
      vi.spyOn(console, "error").mockImplementation(capture),
      vi.spyOn(console, "log").mockImplementation(capture),
    ];
    try {
      // down at first: the failed attempt is logged, and the log must not show the password
      server.down = true;
      const port = new URL(server.url).port;
      setTrackingUri(`http://alice:p%40ss-w0rd@127.0.0.1:${port}`);
      trace(function remote() {
        return 1;
      })();
      await flushTraces({ timeoutMs: 2000 });
      server.down = false;
      const started = Date.now();
      const startTraces = () =>
        server.requests.filter((r) => r.method === "POST" && r.path.startsWith("/api/3.0/mlflow/traces"));
      // the OTLP spans create the trace before StartTraceV3 logs its info: wait for the latter
      while (startTraces().length === 0 && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50));
      expect(server.infos.size).toBe(1);
      expect(startTraces().length).toBeGreaterThan(0);
      // every request once the server is up: the version probe, the OTLP spans, StartTraceV3
      for (const r of server.requests) {
        expect(r.headers.authorization).toBe(`Basic ${Buffer.from("alice:p@ss-w0rd").toString("base64")}`);
      }
      expect(printed.length).toBeGreaterThan(0); // the outage was reported...
      for (const line of printed) {
        expect(line).not.toContain("p%40ss-w0rd"); // ...without the password
        expect(line).not.toContain("p@ss-w0rd");
      }
    } finally {
      for (const s of spies) s.mockRestore();
      setTraceStore(null);
      await server.stop();
    }
  }, 30_000);
});
