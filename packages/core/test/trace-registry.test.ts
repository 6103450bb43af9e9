/**
 * The trace registry keeps open traces in a list and indexes them by id only once something
 * looks a trace up by id (the client API, a span inside a foreign span). The first test of this
 * file runs before any lookup by id in its process (vitest runs each file in a process of its
 * own), so it sees the index built from the list; the later ones see it kept up to date.
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, startSpan, TracewrightClient, updateCurrentTrace, withSpan } from "../src/index.js";
import { storedTraces, treeOf, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();
/** The trees of the stored traces, in the order of their root spans' names (the store orders by start time, in ms). */
const storedTrees = async () =>
  (await storedTraces(store())).map((t) => treeOf(t)).sort((x, y) => (x[0] ?? "").localeCompare(y[0] ?? ""));
const client = new TracewrightClient();

describe("open traces looked up by id", () => {
  it("finds traces opened before the first lookup, and not those finished before it", async () => {
    // no lookup by id has happened yet: updateCurrentTrace and startSpan do not need one
    const a = startSpan({ name: "a" });
    const b = startSpan({ name: "b" });
    const c = startSpan({ name: "c" });
    withSpan({ name: "d" }, () => updateCurrentTrace({ tags: { seen: "yes" } }));
    b.end();
    // the first lookup by id: the index is built from the open traces a and c
    const underA = client.startSpan({ name: "under-a", traceId: a.traceId, parentId: a.spanId });
    const underC = client.startSpan({ name: "under-c", traceId: c.traceId, parentId: c.spanId });
    expect(() => client.startSpan({ name: "under-b", traceId: b.traceId, parentId: b.spanId })).toThrow(
      /is not running/,
    );
    underA.end();
    underC.end();
    c.end();
    a.end();
    expect(await storedTrees()).toEqual([
      ["a (UNKNOWN) OK", "  under-a (UNKNOWN) OK"],
      ["b (UNKNOWN) OK"],
      ["c (UNKNOWN) OK", "  under-c (UNKNOWN) OK"],
      ["d (UNKNOWN) OK"],
    ]);
    expect(
      store()
        .allTraces()
        .find((t) => t.data.spans[0]!.name === "d")!.info.tags.seen,
    ).toBe("yes");
  });

  it("keeps the index up to date once built: traces opened later are found, finished ones are not", async () => {
    const roots = Array.from({ length: 5 }, (_, i) => client.startTrace(`root-${i}`));
    // finish them out of order: the list unlinks from its head, middle and tail
    for (const i of [2, 0, 4]) client.endTrace({ traceId: roots[i]!.traceId });
    for (const i of [0, 2, 4]) {
      expect(() => client.startSpan({ name: "late", traceId: roots[i]!.traceId, parentId: roots[i]!.spanId })).toThrow(
        InvalidArgumentError,
      );
    }
    for (const i of [1, 3]) {
      const child = client.startSpan({ name: `child-${i}`, traceId: roots[i]!.traceId, parentId: roots[i]!.spanId });
      client.endSpan({ traceId: child.traceId, spanId: child.spanId });
      client.endTrace({ traceId: roots[i]!.traceId });
    }
    expect(await storedTrees()).toEqual([
      ["root-0 (UNKNOWN) OK"],
      ["root-1 (UNKNOWN) OK", "  child-1 (UNKNOWN) OK"],
      ["root-2 (UNKNOWN) OK"],
      ["root-3 (UNKNOWN) OK", "  child-3 (UNKNOWN) OK"],
      ["root-4 (UNKNOWN) OK"],
    ]);
  });

  it("records a span that ends after its trace finished nowhere, and opens a new trace under a finished parent", async () => {
    const root = startSpan({ name: "root" });
    const child = startSpan({ name: "child", parent: root });
    root.end(); // ends the open child with it
    child.end({ outputs: "too late" });
    const orphan = startSpan({ name: "orphan", parent: root });
    orphan.end();
    const traces = await storedTraces(store());
    const first = traces.find((t) => t.data.spans[0]!.name === "root")!;
    const second = traces.find((t) => t.data.spans[0]!.name === "orphan")!;
    expect(traces).toHaveLength(2);
    expect(treeOf(first)).toEqual(["root (UNKNOWN) OK", "  child (UNKNOWN) OK"]);
    expect(first.searchSpans({ name: "child" })[0]!.outputs).toBeNull();
    expect(treeOf(second)).toEqual(["orphan (UNKNOWN) OK"]);
    expect(second.info.traceId).not.toBe(first.info.traceId);
  });
});
