import { describe, expect, it, vi } from "vitest";
import { instrumentCall } from "../src/instrumentation/index.js";
import { storedTraces, treeOf, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

describe("instrumentCall", () => {
  it("still ends (and exports) the span when its onResult hook throws", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const value = instrumentCall({ name: "call", spanType: "TOOL" }, () => 42, {
      onResult: () => {
        throw new Error("recorder bug");
      },
    });
    const promised = await instrumentCall({ name: "async call", spanType: "TOOL" }, async () => "ok", {
      onResult: () => {
        throw new Error("recorder bug");
      },
    });
    error.mockRestore();
    expect(value).toBe(42);
    expect(promised).toBe("ok");
    const traces = await storedTraces(store());
    expect(traces.map((t) => treeOf(t))).toEqual([["call (TOOL) OK"], ["async call (TOOL) OK"]]);
  });
});
