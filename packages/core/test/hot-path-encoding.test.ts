/**
 * The shortcuts of the tracing hot path record exactly what the general path records: scalar
 * arguments of a traced function encoded straight from the bound arguments, numbers and
 * booleans encoded without a secret scan, and token usage summed without building the span tree
 * when one span reported it, ids cut from one hex text per pool of random bytes. The general encoder (`toJson` of the bound arguments) is the
 * reference each shortcut is checked against.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SpanAttributeKey, setMaxPayloadStringChars, setRedactor, trace, withSpan } from "../src/index.js";
import { newOtelTraceId, newSpanId, randomHex } from "../src/internal/ids.js";
import { toJson, toJsonIfFlat } from "../src/internal/json.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

const OPENAI_KEY = `sk-proj-${"a1B2c3D4".repeat(4)}`;
const AWS_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** Values a traced function's arguments take: scalars of every kind, and the awkward ones. */
const VALUES: unknown[] = [
  0,
  -0,
  1.5,
  -42,
  1e21,
  5e-324,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  undefined,
  "",
  "plain words",
  "über 東京 ✓",
  'with "quotes"',
  "back\\slash",
  "line\nbreak",
  "tab\tand\u0001control",
  "emoji 😀",
  "lone \ud800 surrogate",
  "\u2028 line separator",
  `use ${OPENAI_KEY} here`,
  "Bearer placeholder-bearer-credential-0001",
  "postgres://svc:hunter2-in-url@db:5432/app",
  '{"password": "hunter2"}',
  AWS_ID,
  AWS_SECRET,
  "x".repeat(300),
  { nested: 1 },
  [1, 2],
];
const KEYS = ["x", "query", "max_tokens", "apiKey", "token", "password", "openaiApiKey", "sessionkey", "$weird", "é"];

afterEach(() => {
  setMaxPayloadStringChars(1_000_000);
  setRedactor(null);
});

describe("toJsonIfFlat", () => {
  it("matches toJson on every record of one or two entries drawn from awkward keys and values, or declines", () => {
    let shortcut = 0;
    let checked = 0;
    for (const limit of [1_000_000, 100]) {
      setMaxPayloadStringChars(limit);
      for (const k1 of KEYS) {
        for (const v1 of VALUES) {
          for (const [k2, v2] of [[undefined, undefined], ...VALUES.map((v) => ["b", v])] as Array<
            [string?, unknown?]
          >) {
            const record: Record<string, unknown> = { [k1]: v1 };
            if (k2 !== undefined) record[k2] = v2;
            const fast = toJsonIfFlat(record);
            checked++;
            if (fast === undefined) continue;
            shortcut++;
            expect(fast, JSON.stringify(record)).toBe(toJson(record));
          }
        }
      }
    }
    // the shortcut is taken for the common case, not just declined everywhere
    expect(shortcut).toBeGreaterThan(checked / 6);
    expect(toJsonIfFlat({ x: 1, s: "plain words", b: true, n: null })).toBe(
      '{"x":1,"s":"plain words","b":true,"n":null}',
    );
  });

  it("declines records that need the general encoder: secret keys, secret-shaped or escaped strings, objects", () => {
    expect(toJsonIfFlat({ apiKey: 1 })).toBeUndefined();
    expect(toJsonIfFlat({ x: `use ${OPENAI_KEY}` })).toBeUndefined();
    expect(toJsonIfFlat({ x: 'say "hi"' })).toBeUndefined();
    expect(toJsonIfFlat({ x: { y: 1 } })).toBeUndefined();
    expect(toJsonIfFlat({ id: AWS_ID, value: AWS_SECRET })).toBeUndefined();
  });
});

describe("toJson of scalars", () => {
  it("encodes numbers, booleans and null as JSON does", () => {
    for (const v of [0, -0, 1.5, 1e21, 5e-324, Number.NaN, Number.NEGATIVE_INFINITY, true, false, null]) {
      expect(toJson(v)).toBe(JSON.stringify(v));
    }
    expect(toJson(undefined)).toBe("null");
  });
});

describe("trace() inputs", () => {
  const inputsOf = async () => {
    const [t] = await storedTraces(store());
    return t!.data.spans[0]!.rawAttribute(SpanAttributeKey.INPUTS);
  };

  it("records scalar arguments as the general encoder does, with the trace's preview and metadata", async () => {
    const f = trace(function f(a: number, b: string, c: boolean, d: null, e?: number) {
      return [a, b, c, d, e];
    });
    f(7, "plain words", true, null);
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    const expected = toJson({ a: 7, b: "plain words", c: true, d: null });
    expect(span.rawAttribute(SpanAttributeKey.INPUTS)).toBe(expected);
    expect(span.inputs).toEqual({ a: 7, b: "plain words", c: true, d: null });
    expect(span.getAttribute(SpanAttributeKey.FUNCTION_NAME)).toBe("f");
    expect(t!.info.requestPreview).toBe(expected);
    expect(t!.info.traceMetadata["mlflow.traceInputs"]).toBe(expected);
  });

  it("still redacts a secret-named parameter and an AWS key pair passed as arguments", async () => {
    const login = trace(function login(apiKey: string, n: number) {
      return apiKey.length + n;
    });
    login("not-shaped-like-a-key", 1);
    expect(JSON.parse((await inputsOf())!)).toEqual({ apiKey: "[REDACTED]", n: 1 });
    store().clear();
    const aws = trace(function aws(id: string, value: string) {
      return id.length + value.length;
    });
    aws(AWS_ID, AWS_SECRET);
    expect(JSON.parse((await inputsOf())!)).toEqual({ id: "[REDACTED]", value: "[REDACTED]" });
  });

  it("hands scalar arguments to a process-wide redactor", async () => {
    const seen: unknown[] = [];
    setRedactor((value, { target }) => {
      if (target === "inputs") seen.push(value);
      return target === "inputs" ? { redacted: true } : value;
    });
    trace(function g(x: number) {
      return x;
    })(3);
    expect(seen).toEqual([{ x: 3 }]);
    expect(JSON.parse((await inputsOf())!)).toEqual({ redacted: true });
  });

  it("lets an inputs attribute given in trace()'s options win, as before", async () => {
    trace(
      function h(x: number) {
        return x;
      },
      { attributes: { [SpanAttributeKey.INPUTS]: { given: true } } },
    )(1);
    expect(JSON.parse((await inputsOf())!)).toEqual({ given: true });
  });

  it("records an argument as it was when the call started, whatever the function does to it", async () => {
    const mutate = trace(function mutate(o: { n: number; list: number[] }) {
      o.n = 2;
      o.list.push(3);
      return "done";
    });
    const arg = { n: 1, list: [1, 2] };
    mutate(arg);
    arg.n = 99; // and after it
    expect(JSON.parse((await inputsOf())!)).toEqual({ o: { n: 1, list: [1, 2] } });
  });
});

describe("trace token usage", () => {
  it("is the one span's usage when one span reported it, with total_tokens filled in", async () => {
    withSpan({ name: "root" }, () => {
      withSpan({ name: "llm", spanType: "CHAT_MODEL" }, (span) => {
        span.setAttribute(SpanAttributeKey.CHAT_USAGE, {
          input_tokens: 5,
          output_tokens: 2,
          cache_read_input_tokens: 1,
        });
      });
    });
    const [t] = await storedTraces(store());
    expect(t!.info.tokenUsage).toEqual({
      input_tokens: 5,
      output_tokens: 2,
      cache_read_input_tokens: 1,
      total_tokens: 7,
    });
  });

  it("sums sibling spans and skips a span whose ancestor reported usage", async () => {
    withSpan({ name: "agent" }, (agent) => {
      agent.setAttribute(SpanAttributeKey.CHAT_USAGE, { input_tokens: 10, output_tokens: 4, total_tokens: 14 });
      withSpan({ name: "inner" }, (s) =>
        s.setAttribute(SpanAttributeKey.CHAT_USAGE, { input_tokens: 10, output_tokens: 4 }),
      );
    });
    withSpan({ name: "root" }, () => {
      for (const n of [1, 2]) {
        withSpan({ name: `llm${n}` }, (s) =>
          s.setAttribute(SpanAttributeKey.CHAT_USAGE, { input_tokens: n, output_tokens: n, total_tokens: 2 * n }),
        );
      }
    });
    const [covered, siblings] = await storedTraces(store());
    expect(covered!.info.tokenUsage).toEqual({ input_tokens: 10, output_tokens: 4, total_tokens: 14 });
    expect(siblings!.info.tokenUsage).toEqual({ input_tokens: 3, output_tokens: 3, total_tokens: 6 });
  });
});

describe("ids", () => {
  it("are lowercase hex of the asked length, distinct across many refills of the random pool", () => {
    const spanIds = new Set<string>();
    const traceIds = new Set<string>();
    // 4,096 random bytes make one pool: this crosses it about 300 times, at every offset
    for (let i = 0; i < 40_000; i++) {
      const span = newSpanId();
      const traceId = newOtelTraceId();
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(/^0+$/.test(span)).toBe(false);
      spanIds.add(span);
      traceIds.add(traceId);
    }
    expect(spanIds.size).toBe(40_000);
    expect(traceIds.size).toBe(40_000);
    expect(randomHex(5)).toMatch(/^[0-9a-f]{10}$/);
  });

  it("trace ids lead with the time of their making in ms, across millisecond changes", async () => {
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      const id = newOtelTraceId();
      const after = Date.now();
      const ms = Number.parseInt(id.slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
      await new Promise((r) => setTimeout(r, 2));
    }
  });
});
