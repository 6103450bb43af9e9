/**
 * RLIKE, LIKE and ILIKE on a linear-time engine in every store that filters locally: a pattern
 * that makes a backtracking engine run for seconds (or forever) must answer at once, and an
 * invalid pattern must be an InvalidFilterError when the filter is parsed, not an engine error
 * in the middle of a search.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  InMemoryTraceStore,
  InvalidFilterError,
  SqliteTraceStore,
  Trace,
  TraceData,
  TraceInfo,
  type TraceStore,
} from "../src/index.js";
import { parseFilter } from "../src/stores.js";

const traceId = (n: number) => `tr-${n.toString(16).padStart(32, "0")}`;

function makeTrace(n: number, inputs: string, name: string): Trace {
  return new Trace(
    new TraceInfo({
      traceId: traceId(n),
      experimentId: "0",
      requestTime: 1000 * n,
      executionDuration: 10,
      state: "OK",
      tags: { "mlflow.traceName": name },
      traceMetadata: { "mlflow.trace_schema.version": "3", "mlflow.traceInputs": inputs },
    }),
    new TraceData([]),
  );
}

// 29 repeated characters: a backtracking engine tries ~2^29 ways to split them before failing
const EVIL_INPUT = "a".repeat(29);

const stores: Array<[string, () => TraceStore]> = [
  ["in-memory store", () => new InMemoryTraceStore()],
  ["SQLite store", () => new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-rlike-")), "traces.db"))],
];

describe.each(stores)("%s", (_name, create) => {
  let store: TraceStore;
  beforeEach(async () => {
    store = create();
    await store.logTraces([
      makeTrace(1, EVIL_INPUT, "first"),
      makeTrace(2, `${"a".repeat(200)}`, "second"),
      makeTrace(3, '{"question": "What is MLflow?"}\nsecond line', "Third"),
    ]);
  });
  afterEach(async () => {
    await store.close?.();
  });

  const search = async (filterString: string) => {
    const started = performance.now();
    const page = await store.searchTraces({ experimentIds: ["0"], filterString });
    return {
      ids: page.traces.map((t) => Number.parseInt(t.info.traceId.slice(3), 16)),
      ms: performance.now() - started,
    };
  };

  /** Times one search over a store holding just `inputs` (a bounded run when the engine backtracks). */
  const timedAlone = async (inputs: string, filterString: string) => {
    const alone = create();
    try {
      await alone.logTraces([makeTrace(9, inputs, "alone")]);
      const started = performance.now();
      const page = await alone.searchTraces({ experimentIds: ["0"], filterString });
      return { count: page.traces.length, ms: performance.now() - started };
    } finally {
      await alone.close?.();
    }
  };

  it("answers a catastrophic-backtracking RLIKE pattern at once", async () => {
    const { count, ms } = await timedAlone(EVIL_INPUT, "metadata.`mlflow.traceInputs` RLIKE '^(.+)+X'");
    expect(count).toBe(0);
    expect(ms).toBeLessThan(1000);
  });

  it("answers a LIKE pattern with many wildcards at once", async () => {
    // a backtracking engine tries every placement of the four wildcards: ~400^3 steps
    const { count, ms } = await timedAlone("a".repeat(400), "metadata.`mlflow.traceInputs` LIKE '%a%a%a%b'");
    expect(count).toBe(0);
    expect(ms).toBeLessThan(1000);
  });

  it.each([
    ["metadata.`mlflow.traceInputs` RLIKE 'MLflow'", [3]],
    ["metadata.`mlflow.traceInputs` RLIKE '^a+$'", [2, 1]],
    ["metadata.`mlflow.traceInputs` RLIKE '^a{29}$'", [1]],
    ["metadata.`mlflow.traceInputs` RLIKE '(?i)mlFLOW'", [3]],
    ["metadata.`mlflow.traceInputs` RLIKE 'mlFLOW'", []],
    // a backslash in a filter string is not an escape (MLflow has none): it reaches the regex as written
    ["metadata.`mlflow.traceInputs` RLIKE 'MLflow\\?\"\\}\\n'", [3]],
    ["metadata.`mlflow.traceInputs` RLIKE 'MLflow[?]\"}$'", []],
    ["name RLIKE '^[A-Z]'", [3]],
    ["metadata.`mlflow.traceInputs` LIKE '%question%line'", [3]],
    ["metadata.`mlflow.traceInputs` LIKE 'a_a%'", [2, 1]],
    ["name LIKE '(%'", []],
    ["name ILIKE 'THIRD'", [3]],
    ["name LIKE 'third'", []],
  ])("%s", async (filter, expected) => {
    expect((await search(filter)).ids).toEqual(expected);
  });
});

describe("invalid RLIKE patterns", () => {
  it.each([
    ["tags.env RLIKE '('", "'('", 15, /missing closing \)/],
    ["tags.env RLIKE 'a)'", "'a)'", 15, /unexpected \)/],
    ["tags.env RLIKE '(?=x)'", "'(?=x)'", 15, /unsupported Perl syntax/],
    ["tags.env RLIKE '(a)\\1'", "'(a)\\1'", 15, /invalid escape sequence/],
    ["tags.env = 'x' AND name RLIKE 'a{2000}'", "'a{2000}'", 30, /invalid repeat count/],
  ])("rejects %j when the filter is parsed", (filter, token, position, detail) => {
    let error: unknown;
    try {
      parseFilter(filter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidFilterError);
    const e = error as InvalidFilterError;
    expect(e.token).toBe(token);
    expect(e.position).toBe(position);
    expect(e.message).toMatch(/invalid regular expression for RLIKE/);
    expect(e.message).toMatch(detail);
  });

  it.each(stores)("is an InvalidFilterError from the %s's search, too", async (_name, create) => {
    const store = create();
    try {
      await expect(
        Promise.resolve().then(() =>
          store.searchTraces({ experimentIds: ["0"], filterString: "name RLIKE '(?<=a)b'" }),
        ),
      ).rejects.toBeInstanceOf(InvalidFilterError);
    } finally {
      await store.close?.();
    }
  });
});
