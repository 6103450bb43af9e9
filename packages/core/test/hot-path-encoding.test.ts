/**
 * The shortcuts of the tracing hot path record exactly what the general path records: scalar
 * arguments of a traced function encoded straight from the bound arguments, numbers and
 * booleans encoded without a secret scan, and token usage summed without building the span tree
 * when one span reported it, ids cut from one hex text per pool of random bytes. The general encoder (`toJson` of the bound arguments) is the
 * reference each shortcut is checked against.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Span,
  SpanAttributeKey,
  SpanStatus,
  setMaxPayloadStringChars,
  setRedactor,
  trace,
  withSpan,
} from "../src/index.js";
import { hexToBase64, newOtelTraceId, newSpanId, randomHex } from "../src/internal/ids.js";
import { flatArgumentsJson, flatArgumentsPlan, toJson, toJsonIfFlat } from "../src/internal/json.js";
import { bindArguments, parseParams } from "../src/internal/params.js";
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

describe("flatArgumentsJson", () => {
  // functions whose parameters bind arguments in every way bindArguments knows
  const FUNCTIONS: Function[] = [
    (x: unknown) => x,
    (x: unknown, query: unknown) => [x, query],
    (x: unknown, y: unknown = 4, s = "a,b") => [x, y, s],
    (x: unknown, ...rest: unknown[]) => [x, rest],
    (x: unknown, list = [1]) => [x, list],
    ({ a }: { a: unknown }, b: unknown) => [a, b],
    (apiKey: unknown, max_tokens: unknown) => [apiKey, max_tokens],
    (password: unknown) => password,
    (arg1: unknown, x: unknown) => [arg1, x],
    // sloppy-mode duplicates and a `__proto__` parameter: an object would merge or drop them
    new Function("a", "a", "return a"),
    new Function("__proto__", "x", "return x"),
    Math.max, // native: parameters unknown, every argument is argN
  ];
  const ARGS: unknown[][] = [
    [],
    [1],
    [undefined, 2],
    [1, 2, 3],
    [1, undefined, undefined, 4],
    ["plain words", true, null],
    ['say "hi"', 1],
    [`use ${OPENAI_KEY}`],
    [{ nested: 1 }, 2],
    [1.5, Number.NaN, Number.POSITIVE_INFINITY, -0],
    ["x".repeat(300)],
    [AWS_ID, AWS_SECRET],
  ];

  it("is toJsonIfFlat of the bound arguments wherever it answers, and answers the common cases", () => {
    let answered = 0;
    for (const limit of [1_000_000, 100]) {
      setMaxPayloadStringChars(limit);
      for (const fn of FUNCTIONS) {
        const params = parseParams(fn);
        const plan = flatArgumentsPlan(params);
        for (const args of ARGS) {
          const fast = flatArgumentsJson(plan, args);
          const reference = toJsonIfFlat(bindArguments(params, args));
          const what = `${String(fn).slice(0, 40)} (${JSON.stringify(args)})`;
          if (fast === undefined) continue;
          answered++;
          expect(fast, what).toBe(reference);
          expect(fast, what).toBe(toJson(bindArguments(params, args)));
        }
      }
    }
    expect(answered).toBeGreaterThan(60);
    const plain = flatArgumentsPlan(parseParams((x: number, y = 4) => x + y));
    expect(flatArgumentsJson(plain, [1])).toBe('{"x":1,"y":4}');
  });

  it("declines what the one pass cannot encode as the bound record would be: rest, duplicates, __proto__, secrets", () => {
    const decline = (fn: Function, args: unknown[]) => flatArgumentsJson(flatArgumentsPlan(parseParams(fn)), args);
    expect(decline((x: unknown, ...rest: unknown[]) => [x, rest], [1])).toBeUndefined();
    expect(decline(new Function("a", "a", "return a"), [1, 2])).toBeUndefined();
    expect(decline(new Function("__proto__", "return 1"), [1])).toBeUndefined();
    expect(decline((arg1: unknown) => arg1, [1, 2])).toBeUndefined(); // `arg1` is also the second argument's key
    expect(decline((apiKey: unknown) => apiKey, ["x"])).toBeUndefined();
    expect(decline((x: unknown) => x, [{ y: 1 }])).toBeUndefined();
  });

  it("records through trace() what the general path records, for each kind of parameter list", async () => {
    const rest = trace(function rest(a: number, ...more: number[]) {
      return more.length + a;
    });
    const defaults = trace(function defaults(a: number, b = 7, c = "c") {
      return a + b + c;
    });
    rest(1, 2, 3);
    defaults(1);
    (defaults as (...args: unknown[]) => string)(1, undefined, "d", 9); // one argument too many
    const spans = (await storedTraces(store())).map((t) => t.data.spans[0]!);
    expect(spans.map((s) => s.rawAttribute(SpanAttributeKey.INPUTS))).toEqual([
      toJson({ a: 1, more: [2, 3] }),
      toJson({ a: 1, b: 7, c: "c" }),
      toJson({ a: 1, b: 7, c: "d", arg3: 9 }),
    ]);
  });
});

describe("span ids in MLflow's span dict", () => {
  it("are the base64 of their bytes, as Buffer makes it, for every id and any other hex", () => {
    for (let i = 0; i < 5_000; i++) {
      for (const hex of [newSpanId(), newOtelTraceId(), randomHex(8).toUpperCase(), randomHex(16).toUpperCase()]) {
        expect(hexToBase64(hex)).toBe(Buffer.from(hex, "hex").toString("base64"));
      }
    }
    for (const odd of [
      "",
      "0",
      "abc",
      "0000000000000000",
      "ffffffffffffffff",
      "zz34567890abcdef",
      "0123456789abcdeg",
    ]) {
      expect(hexToBase64(odd)).toBe(Buffer.from(odd, "hex").toString("base64"));
    }
    const nonAscii = `${"a".repeat(15)}é`;
    expect(hexToBase64(nonAscii)).toBe(Buffer.from(nonAscii, "hex").toString("base64"));
    expect(hexToBase64(`${"0".repeat(31)}é`)).toBe(Buffer.from(`${"0".repeat(31)}é`, "hex").toString("base64"));
  });

  it("are written in the span dict MLflow reads: trace, span and parent id, in base64, for spans of several traces", async () => {
    withSpan({ name: "a" }, () => withSpan({ name: "a1" }, () => 1));
    withSpan({ name: "b" }, () => withSpan({ name: "b1" }, () => 2));
    const traces = await storedTraces(store());
    for (const t of traces) {
      for (const span of t.data.spans) {
        const d = span.toDict();
        const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
        expect(d.trace_id).toBe(b64(t.info.traceId.slice(3)));
        expect(d.span_id).toBe(b64(span.spanId));
        expect(d.parent_span_id).toBe(span.parentId === null ? null : b64(span.parentId));
        expect(Span.fromDict(d).spanId).toBe(span.spanId);
      }
    }
  });

  it("are read back from the span dict as written, whatever their first 12 bits (and so their first two base64 digits)", () => {
    // every 12-bit prefix once, the rest random: base64 spells the first two digits from exactly
    // these bits, so a reading that mistakes some base64 for another form (such as "0x…", MLflow 2's
    // hex) fails here for that prefix; read twice, as a store that copies on write and on read does
    for (let prefix = 0; prefix < 4096; prefix++) {
      const head = prefix.toString(16).padStart(3, "0");
      const spanId = head + randomHex(8).slice(3);
      const parentId = head + randomHex(8).slice(3);
      const otelTraceId = head + randomHex(16).slice(3);
      const d = {
        trace_id: hexToBase64(otelTraceId),
        span_id: hexToBase64(spanId),
        parent_span_id: hexToBase64(parentId),
        name: "s",
        start_time_unix_nano: 1,
        end_time_unix_nano: 2,
        events: [],
        status: { code: "STATUS_CODE_OK", message: "" },
        attributes: {},
      };
      const again = Span.fromDict(Span.fromDict(d).toDict());
      expect([again.spanId, again.parentId, again.traceId]).toEqual([spanId, parentId, `tr-${otelTraceId}`]);
    }
  });

  it("spell the span's status code as MLflow does", () => {
    for (const code of ["OK", "ERROR", "UNSET"] as const) {
      expect(new SpanStatus(code, "why").toDict()).toEqual({ code: `STATUS_CODE_${code}`, message: "why" });
    }
  });
});
