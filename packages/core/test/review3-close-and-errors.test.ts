import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ConfigurationError,
  SqliteTraceStore,
  StoreClosedError,
  TraceNotFoundError,
  TracesNotStoredError,
} from "../src/index.js";
import { PART_TRACE_HEX, tracePart } from "./numbered-trace.js";

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-review-")), "traces.db");
const hex = PART_TRACE_HEX;
const part = tracePart;

describe("review", () => {
  it("close() right after a second part of a stored trace was handed over keeps that part", async () => {
    const path = tempDb();
    const store = new SqliteTraceStore(path);
    await store.logTraces([part(1)]);
    // a second part of the same trace, still with the writer thread when close() drains it
    const second = store.logTraces([part(2)]);
    let outcome: unknown = "resolved";
    if (second instanceof Promise) second.catch((e) => (outcome = e));
    let closeError: unknown;
    try {
      store.close();
    } catch (e) {
      closeError = e;
    }
    await new Promise((r) => setTimeout(r, 20));
    const again = new SqliteTraceStore(path);
    const names = again.getTrace(`tr-${hex}`)?.data.spans.map((s) => s.name);
    again.close();
    expect(names).toEqual(["request-1", "request-2"]);
    expect(outcome).toBe("resolved");
    expect(closeError).toBeUndefined();
  });

  it("StoreClosedError is told apart from the other errors by instanceof (it is branded like them)", () => {
    expect(new TraceNotFoundError("x")).not.toBeInstanceOf(StoreClosedError);
    expect(new ConfigurationError("x")).not.toBeInstanceOf(StoreClosedError);
    expect(new TracesNotStoredError("x", 1)).not.toBeInstanceOf(StoreClosedError);
    const store = new SqliteTraceStore(":memory:");
    store.close();
    let thrown: unknown;
    try {
      store.countTraces();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StoreClosedError);
  });
});
