import { afterEach, describe, expect, it, vi } from "vitest";
import { getExportStats, trace, withSpan } from "../src/index.js";
import { registry } from "../src/tracing/trace-registry.js";
import { storedTraces, treeOf, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

/** A lazy thenable in the style of knex / drizzle query builders: each `then` runs the query. */
class LazyQuery {
  runs = 0;
  constructor(private readonly rows: unknown[]) {}
  // biome-ignore lint/suspicious/noThenProperty: the thenable under test
  then<T>(onFulfilled?: (rows: unknown[]) => T, onRejected?: (e: unknown) => T): Promise<T> {
    this.runs++;
    return Promise.resolve(this.rows).then(onFulfilled, onRejected);
  }
}

const openTraces = () => registry.openTraceCount();

afterEach(() => vi.restoreAllMocks());

describe("trace() is as transparent as the plain call", () => {
  it("returns an object whose `then` getter throws, untouched, and still records the call", async () => {
    const hostile = {};
    // biome-ignore lint/suspicious/noThenProperty: the hostile value under test
    Object.defineProperty(hostile, "then", {
      get() {
        throw new Error("no then for you");
      },
    });
    const plain = () => hostile;
    const traced = trace(plain, { name: "hostile" });
    expect(traced()).toBe(hostile);
    const traces = await storedTraces(store());
    expect(traces.map((t) => treeOf(t))).toEqual([["hostile (UNKNOWN) OK"]]);
  });

  it("returns a revoked Proxy untouched and still exports the trace", async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const traced = trace(() => proxy, { name: "revoked" });
    expect(traced()).toBe(proxy);
    const traces = await storedTraces(store());
    expect(traces.map((t) => treeOf(t))).toEqual([["revoked (UNKNOWN) OK"]]);
    expect(openTraces()).toBe(0);
  });

  it("calls a lazy thenable's `then` once, only when the caller awaits, and records its value", async () => {
    const query = new LazyQuery([{ id: 1 }]);
    const traced = trace(() => query, { name: "query", spanType: "RETRIEVER" });
    const returned = traced();
    expect(returned).toBe(query);
    await new Promise((r) => setTimeout(r, 5));
    expect(query.runs).toBe(0); // nobody awaited yet: the query has not run
    expect(await returned).toEqual([{ id: 1 }]);
    expect(query.runs).toBe(1);
    expect(Object.hasOwn(query, "then")).toBe(false); // the object is left as it was
    const [t] = await storedTraces(store());
    expect(t?.data.spans[0]?.outputs).toEqual([{ id: 1 }]);
  });

  it("records a lazy thenable's rejection and passes it to the caller unchanged", async () => {
    const boom = new Error("query failed");
    const failing = {
      // biome-ignore lint/suspicious/noThenProperty: the thenable under test
      then(_ok: unknown, onRejected: (e: unknown) => unknown) {
        return Promise.reject(boom).then(undefined, onRejected as never);
      },
    };
    const traced = trace(() => failing, { name: "failing" });
    await expect(traced() as unknown as Promise<unknown>).rejects.toBe(boom);
    const traces = await storedTraces(store());
    expect(traces.map((t) => treeOf(t))).toEqual([["failing (UNKNOWN) ERROR"]]);
  });

  it("never runs a lazy thenable the caller does not await", async () => {
    const query = new LazyQuery([]);
    const traced = trace(() => query, { name: "dropped" });
    withSpan({ name: "request" }, () => {
      traced();
    });
    await storedTraces(store());
    expect(query.runs).toBe(0);
  });

  it("keeps the trace when the error's `message` getter throws, and leaves nothing open", async () => {
    const before = openTraces();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("unreadable");
      },
    });
    const traced = trace(
      () => {
        throw hostile;
      },
      { name: "throws" },
    );
    for (let i = 0; i < 3; i++) expect(() => traced()).toThrow(hostile);
    const tracedAsync = trace(async () => Promise.reject(hostile), { name: "rejects" });
    await expect(tracedAsync()).rejects.toBe(hostile);
    const traces = await storedTraces(store());
    expect(traces.map((t) => treeOf(t)[0])).toEqual([
      "throws (UNKNOWN) ERROR",
      "throws (UNKNOWN) ERROR",
      "throws (UNKNOWN) ERROR",
      "rejects (UNKNOWN) ERROR",
    ]);
    expect(openTraces()).toBe(before);
    expect(warn).not.toHaveBeenCalled(); // no log line per call either
    expect(getExportStats().failed).toBe(0);
  });
});
