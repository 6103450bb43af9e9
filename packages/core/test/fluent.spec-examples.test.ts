/**
 * The Python examples of the spec's tracing guide (001/002), in TypeScript form.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  disableTracing,
  enableTracing,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  getTrace,
  SpanAttributeKey,
  SpanStatusCode,
  SpanType,
  setExperiment,
  startSpan,
  trace,
  withSpan,
} from "../src/index.js";
import { storedTraces, treeOf, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

describe("trace decorator", () => {
  it("records inputs by parameter name, including defaults, and the output", async () => {
    const someFunction = trace(function some_function(x: number, y: number, z = 2) {
      return x + (y - z);
    });
    expect(someFunction(2, 4)).toBe(4);
    const [t] = await storedTraces(store());
    const root = t!.data.spans[0]!;
    expect(root.name).toBe("some_function");
    expect(root.inputs).toEqual({ x: 2, y: 4, z: 2 });
    expect(root.outputs).toBe(4);
    expect(root.spanType).toBe("UNKNOWN");
    expect(root.getAttribute(SpanAttributeKey.FUNCTION_NAME)).toBe("some_function");
    expect(t!.info.tags["mlflow.traceName"]).toBe("some_function");
  });

  it("takes a name, a span type and attributes", async () => {
    const myFunc = trace((x: number, y: number) => x + y, {
      name: "My Span",
      spanType: "func",
      attributes: { a: 1, b: 2 },
    });
    myFunc(1, 2);
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.name).toBe("My Span");
    expect(span.spanType).toBe("func");
    expect(span.getAttribute("a")).toBe(1);
    expect(span.getAttribute("b")).toBe(2);
    expect(span.inputs).toEqual({ x: 1, y: 2 });
  });

  it("traces async functions and ends the span when the promise settles", async () => {
    const asyncFunc = trace(async function async_func(message: string) {
      await new Promise((r) => setTimeout(r, 20));
      return { reply: `echo: ${message}` };
    });
    const result = await asyncFunc("What is MLflow Tracing?");
    expect(result).toEqual({ reply: "echo: What is MLflow Tracing?" });
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.outputs).toEqual(result);
    expect((span.endTimeNs! - span.startTimeNs) / 1e6).toBeGreaterThanOrEqual(15);
  });

  it("nests decorated functions called by a decorated function (parent/child)", async () => {
    const add1 = trace((x: number) => x + 1, { name: "add_1", spanType: "func", attributes: { key: "value" } });
    const minus1 = trace((x: number) => x - 1, { name: "minus_1", spanType: "func", attributes: { key1: "value1" } });
    const traceTest = trace(
      (x: number) => {
        const step1 = add1(x);
        return minus1(step1);
      },
      { name: "Trace Test" },
    );
    expect(traceTest(4)).toBe(4);
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    expect(treeOf(traces[0]!)).toEqual(["Trace Test (UNKNOWN) OK", "  add_1 (func) OK", "  minus_1 (func) OK"]);
    const [root, a, m] = traces[0]!.data.spans;
    expect(a!.parentId).toBe(root!.spanId);
    expect(m!.parentId).toBe(root!.spanId);
    expect(a!.traceId).toBe(root!.traceId);
  });

  it("accepts built-in and custom span types", async () => {
    const retrieve = trace((query: string) => [query], { spanType: SpanType.RETRIEVER, name: "retrieve_documents" });
    retrieve("q");
    const z = withSpan({ name: "add", spanType: "MATH" }, (span) => {
      span.setInputs({ x: 1, y: 2 });
      const sum = 3;
      span.setOutputs({ z: sum });
      expect(span.spanType).toBe("MATH");
      return sum;
    });
    expect(z).toBe(3);
    const traces = await storedTraces(store());
    expect(traces.map((t) => t.data.spans[0]!.spanType)).toEqual(["RETRIEVER", "MATH"]);
    expect(traces[1]!.data.spans[0]!.outputs).toEqual({ z: 3 });
  });
});

describe("error handling", () => {
  it("marks the span ERROR, records the exception with its stack trace, and rethrows the same error", async () => {
    const doMath = trace(function do_math(a: number, x: number, operation = "add") {
      if (operation !== "add") throw new TypeError(`Unsupported Operation Mode: ${operation}`);
      return a + x;
    });
    let thrown: unknown;
    try {
      doMath(3, 2, "multiply");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const [t] = await storedTraces(store());
    expect(t!.info.state).toBe("ERROR");
    const span = t!.data.spans[0]!;
    expect(span.status.statusCode).toBe(SpanStatusCode.ERROR);
    expect(span.status.description).toBe("TypeError: Unsupported Operation Mode: multiply");
    const event = span.events[0]!;
    expect(event.name).toBe("exception");
    expect(event.attributes["exception.type"]).toBe("TypeError");
    expect(event.attributes["exception.message"]).toBe("Unsupported Operation Mode: multiply");
    expect(String(event.attributes["exception.stacktrace"])).toContain("do_math");
    expect(span.outputs).toBeNull();
  });

  it("records a rejected async call and rejects with the same error object", async () => {
    const err = new Error("Intentionally throwing!");
    const failing = trace(async () => {
      await Promise.resolve();
      throw err;
    });
    await expect(failing()).rejects.toBe(err);
    const [t] = await storedTraces(store());
    expect(t!.info.state).toBe("ERROR");
    expect(t!.data.spans[0]!.events[0]!.attributes["exception.message"]).toBe("Intentionally throwing!");
  });

  it("keeps a partial capture of a problematic withSpan block (spec FAQ)", async () => {
    let spanTraceId = "";
    expect(() =>
      withSpan({ name: "A Problematic Span" }, (span) => {
        spanTraceId = span.traceId;
        span.setInputs({ input: "Exception should log as event" });
        span.setAttribute("a", "b");
        throw new Error("Intentionally throwing!");
      }),
    ).toThrow("Intentionally throwing!");
    const t = await getTrace(spanTraceId);
    const span = t!.data.spans[0]!;
    expect(span.inputs).toEqual({ input: "Exception should log as event" });
    expect(span.getAttribute("a")).toBe("b");
    expect(span.status.statusCode).toBe("ERROR");
    expect(JSON.parse(t!.data.request!)).toEqual({ input: "Exception should log as event" });
    expect(t!.data.response).toBeNull();
    expect(span.toDict().attributes["mlflow.spanType"]).toBe('"UNKNOWN"');
  });
});

describe("context handler", () => {
  const firstFunc = trace(function first_func(x: number, y = 2) {
    return x + y;
  });
  const secondFunc = trace(function second_func(a: number, b = 3) {
    return a * b;
  });
  function doMath(a: number, x: number, operation = "add") {
    return withSpan({ name: "Math" }, (span) => {
      span.setInputs({ a, x });
      span.setAttributes({ mode: operation });
      const first = firstFunc(x);
      const second = secondFunc(a);
      let result: number;
      if (operation === "add") result = first + second;
      else if (operation === "subtract") result = first - second;
      else throw new Error(`Unsupported Operation Mode: ${operation}`);
      span.setOutputs({ result });
      return result;
    });
  }

  it("groups traced functions under the context span", async () => {
    expect(doMath(8, 3, "add")).toBe(29);
    const [t] = await storedTraces(store());
    expect(treeOf(t!)).toEqual(["Math (UNKNOWN) OK", "  first_func (UNKNOWN) OK", "  second_func (UNKNOWN) OK"]);
    const math = t!.data.spans[0]!;
    expect(math.inputs).toEqual({ a: 8, x: 3 });
    expect(math.getAttribute("mode")).toBe("add");
    expect(math.outputs).toEqual({ result: 29 });
    expect(t!.data.intermediateOutputs).toEqual({ first_func: 5, second_func: 24 });
  });

  it("starts a span reported after the fact at the time it is given", async () => {
    const startTimeNs = Date.now() * 1e6 - 5_000_000_000; // five seconds ago
    startSpan({ name: "replayed", parent: null, startTimeNs }).end();
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.startTimeNs).toBe(startTimeNs);
    expect(span.endTimeNs! - span.startTimeNs).toBeGreaterThanOrEqual(5_000_000_000);
  });

  it("keeps children attached across await, timers and promise chains", async () => {
    const leaf = trace(async function leaf(n: number) {
      await new Promise((r) => setTimeout(r, 2));
      return n;
    });
    await withSpan({ name: "parent" }, async () => {
      await leaf(1);
      await new Promise<void>((resolve) => setTimeout(() => void leaf(2).then(() => resolve()), 1));
      await Promise.resolve(3).then((n) => leaf(n));
      expect(getCurrentActiveSpan()?.name).toBe("parent");
    });
    const [t] = await storedTraces(store());
    expect(treeOf(t!)).toEqual([
      "parent (UNKNOWN) OK",
      "  leaf (UNKNOWN) OK",
      "  leaf (UNKNOWN) OK",
      "  leaf (UNKNOWN) OK",
    ]);
  });
});

describe("function wrapping", () => {
  it("traces third-party functions such as Math.pow without changing them", async () => {
    function invocation(x: number, y = 4, exp = 2) {
      return withSpan({ name: "Parent" }, (span) => {
        span.setAttributes({ level: "parent", override: y === 4 });
        span.setInputs({ x, y, exp });
        const raised = trace(Math.pow)(x, exp);
        const sqrt = trace(Math.sqrt)(raised);
        span.setOutputs({ result: sqrt });
        return sqrt;
      });
    }
    for (let i = 0; i < 3; i++) expect(invocation(i)).toBe(i);
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(3);
    for (const t of traces)
      expect(treeOf(t)).toEqual(["Parent (UNKNOWN) OK", "  pow (UNKNOWN) OK", "  sqrt (UNKNOWN) OK"]);
    const pow = traces[2]!.searchSpans({ name: "pow" })[0]!;
    expect(pow.inputs).toEqual({ arg0: 2, arg1: 2 });
    expect(pow.outputs).toBe(4);
    expect(Math.pow.name).toBe("pow");
  });

  it("preserves this, the arity and the returned object identity", async () => {
    const payload = { big: true };
    class Service {
      factor = 10;
      compute(n: number) {
        return { value: n * this.factor, payload };
      }
    }
    Service.prototype.compute = trace(Service.prototype.compute, { name: "compute" });
    const s = new Service();
    const out = s.compute(2);
    expect(out.value).toBe(20);
    expect(out.payload).toBe(payload);
    expect(Service.prototype.compute.length).toBe(1);
    const promise = Promise.resolve(7);
    const passThrough = trace(function passThrough() {
      return promise;
    });
    expect(passThrough()).toBe(promise);
    await storedTraces(store());
  });
});

describe("enable and disable", () => {
  it("records nothing while disabled and resumes after enableTracing()", async () => {
    const f = trace((x: number) => x * 2, { name: "f" });
    disableTracing();
    expect(f(2)).toBe(4);
    expect(withSpan({ name: "w" }, (span) => span.setInputs({ a: 1 }) && 5)).toBe(5);
    expect(await storedTraces(store())).toHaveLength(0);
    enableTracing();
    expect(f(3)).toBe(6);
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    expect(traces[0]!.data.spans[0]!.inputs).toEqual({ x: 3 });
  });
});

describe("experiments and last trace", () => {
  it("logs traces to the experiment set by name, creating it", async () => {
    const exp = await setExperiment("Tracing Demo");
    trace(() => 1, { name: "in-exp" })();
    const traces = await storedTraces(store());
    expect(exp.experimentId).not.toBe("0");
    expect(traces[0]!.info.experimentId).toBe(exp.experimentId);
    expect(getLastActiveTraceId()).toBe(traces[0]!.info.traceId);
    await setExperiment({ experimentId: "0" });
  });
});

describe("decorator form", () => {
  it("traces methods decorated with @trace() as TypeScript compiles them", async () => {
    // Compile real TypeScript 5 decorator syntax with the TypeScript compiler (vitest's own
    // transform leaves decorators to the runtime, which Node does not support yet).
    const source = `
      export function makeAgent(trace) {
        class Agent {
          prefix = "found:";
          @trace({ spanType: "TOOL" })
          search(query) { return this.prefix + query; }
        }
        return Agent;
      }`;
    const js = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    }).outputText;
    const exports: { makeAgent?: (t: typeof trace) => new () => { search(q: string): string } } = {};
    new Function("exports", js)(exports);
    const Agent = exports.makeAgent!(trace);
    expect(new Agent().search("q")).toBe("found:q");
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.name).toBe("search");
    expect(span.spanType).toBe("TOOL");
    expect(span.inputs).toEqual({ query: "q" });
  });
});

describe("legacy decorators", () => {
  it("traces methods decorated with experimentalDecorators", async () => {
    const source = `
      export function makeAgent(trace) {
        class Agent {
          constructor() { this.prefix = "legacy:"; }
          @trace({ spanType: "TOOL" })
          lookup(query) { return this.prefix + query; }
        }
        return Agent;
      }`;
    const js = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: true },
    }).outputText;
    const exports: { makeAgent?: (t: typeof trace) => new () => { lookup(q: string): string } } = {};
    new Function("exports", js)(exports);
    const Agent = exports.makeAgent!(trace);
    expect(new Agent().lookup("q")).toBe("legacy:q");
    const [t] = await storedTraces(store());
    const span = t!.data.spans[0]!;
    expect(span.name).toBe("lookup");
    expect(span.spanType).toBe("TOOL");
    expect(span.inputs).toEqual({ query: "q" });
  });
});

describe("bad input", () => {
  it("gets clear errors from the fluent API, before any user code runs", () => {
    let ran = false;
    expect(() => trace(123 as never)).toThrow(/expects a function to wrap/);
    expect(() => trace(() => 1, { name: "" })).toThrow(/name must be a non-empty string/);
    expect(() =>
      withSpan({} as never, () => {
        ran = true;
      }),
    ).toThrow(/withSpan\(\) needs a non-empty string `name`/);
    expect(() => withSpan({ name: "x" }, undefined as never)).toThrow(/callback must be a function/);
    expect(() => startSpan({ name: 42 } as never)).toThrow(/startSpan\(\) needs a non-empty string `name`/);
    expect(ran).toBe(false);
  });
});

describe("generators", () => {
  it("keeps the span open while the caller iterates and records the yielded items", async () => {
    const numbers = trace(function* numbers(n: number) {
      for (let i = 0; i < n; i++) yield i;
    });
    expect([...numbers(3)]).toEqual([0, 1, 2]);
    const [t] = await storedTraces(store());
    expect(t!.data.spans[0]!.inputs).toEqual({ n: 3 });
    expect(t!.data.spans[0]!.outputs).toEqual([0, 1, 2]);
  });

  it("traces async generators, nests spans opened while iterating, and ends on break", async () => {
    const inner = trace((x: number) => x * 10, { name: "inner" });
    const stream = trace(async function* stream() {
      for (let i = 0; i < 5; i++) {
        await Promise.resolve();
        yield inner(i);
      }
    });
    const seen: number[] = [];
    for await (const v of stream()) {
      seen.push(v);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([0, 10]);
    const [t] = await storedTraces(store());
    expect(treeOf(t!)).toEqual(["stream (UNKNOWN) OK", "  inner (UNKNOWN) OK", "  inner (UNKNOWN) OK"]);
    expect(t!.data.spans[0]!.outputs).toEqual([0, 10]);
  });

  it("records an error thrown inside a generator and rethrows it", async () => {
    const failing = trace(function* failing() {
      yield 1;
      throw new RangeError("generator broke");
    });
    expect(() => [...failing()]).toThrow("generator broke");
    const [t] = await storedTraces(store());
    expect(t!.data.spans[0]!.status.statusCode).toBe("ERROR");
    expect(t!.data.spans[0]!.events[0]!.attributes["exception.type"]).toBe("RangeError");
  });
});
