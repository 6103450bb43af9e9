/**
 * Nothing destructive or endless by accident: wrong argument types and values to searchTraces,
 * deleteTraces, logFeedback, trace() and Trace.fromJson are clear typed errors naming the option,
 * in every store, before anything is read or deleted.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  flushTraces,
  InMemoryTraceStore,
  InvalidArgumentError,
  InvalidFilterError,
  SqliteTraceStore,
  searchTraces,
  setTraceStore,
  Trace,
  TraceData,
  TraceInfo,
  type TraceStore,
  TracewrightClient,
  trace,
  withSpan,
} from "../src/index.js";

const traceId = (n: number) => `tr-${n.toString(16).padStart(32, "0")}`;
const makeTrace = (n: number) =>
  new Trace(
    new TraceInfo({
      traceId: traceId(n),
      experimentId: "0",
      requestTime: 1000 * n,
      executionDuration: 10,
      state: "OK",
      tags: { "mlflow.traceName": `t${n}` },
      traceMetadata: {},
    }),
    new TraceData([]),
  );

const stores: Array<[string, () => TraceStore]> = [
  ["in-memory store", () => new InMemoryTraceStore()],
  ["SQLite store", () => new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-args-")), "traces.db"))],
];

const client = new TracewrightClient();

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.each(stores)("%s", (_name, create) => {
  let store: TraceStore;
  beforeEach(async () => {
    await flushTraces();
    store = create();
    setTraceStore(store);
    await store.logTraces([1, 2, 3, 4, 5].map(makeTrace));
  });
  afterEach(async () => {
    await store.close?.();
  });
  const count = async () => (await store.searchTraces({ experimentIds: ["0"] })).traces.length;

  it.each([
    [{ maxTimestampMillis: 10_000, maxTraces: -1 }, /maxTraces must be a positive integer, got number -1/],
    [{ maxTimestampMillis: 10_000, maxTraces: 0 }, /maxTraces must be a positive integer, got number 0/],
    [{ maxTimestampMillis: 10_000, maxTraces: 1.5 }, /maxTraces must be a positive integer/],
    [{ maxTimestampMillis: "now" }, /maxTimestampMillis must be a time in milliseconds .* got the string "now"/],
    [{ maxTimestampMillis: Number.NaN }, /maxTimestampMillis must be/],
    [{ traceIds: traceId(1) }, /traceIds must be an array of trace id strings/],
  ])("deleteTraces(%j) is refused and deletes nothing", async (options, message) => {
    for (const call of [
      () => store.deleteTraces({ experimentId: "0", ...(options as object) }),
      () => client.deleteTraces({ experimentId: "0", ...(options as object) }),
    ]) {
      const e = await thrown(call);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as Error).message).toMatch(message);
    }
    expect(await count()).toBe(5);
  });

  it("still deletes by a time bound with a valid count", async () => {
    expect(await client.deleteTraces({ experimentId: "0", maxTimestampMillis: 10_000, maxTraces: 2 })).toBe(2);
    expect(await count()).toBe(3);
  });

  it.each([
    [{ maxResults: 0 }, /maxResults must be a positive integer, got number 0/],
    [{ maxResults: -1 }, /maxResults must be a positive integer, got number -1/],
    [{ maxResults: 1.5 }, /maxResults must be a positive integer, got number 1.5/],
    [{ maxResults: "10" }, /maxResults must be a positive integer, got the string "10"/],
    [{ filterString: 5 }, /filterString must be a string .* got number 5/],
    [{ orderBy: "timestamp_ms ASC" }, /orderBy must be an array of strings .* got the string "timestamp_ms ASC"/],
    [{ orderBy: [5] }, /orderBy must be an array of strings/],
    [{ experimentIds: "2" }, /experimentIds must be an array of experiment id strings .* got the string "2"/],
    [{ experimentIds: [0] }, /experimentIds must be an array of experiment id strings/],
    [{ pageToken: 5 }, /pageToken must be a string/],
    [{ includeSpans: "no" }, /includeSpans must be true or false/],
  ])("searchTraces(%j) is a clear error naming the option", async (options, message) => {
    for (const call of [
      () => store.searchTraces({ experimentIds: ["0"], ...(options as object) }),
      () => client.searchTraces({ experimentIds: ["0"], ...(options as object) }),
      () => searchTraces({ experimentIds: ["0"], ...(options as object) }),
    ]) {
      const e = await thrown(call);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as Error).message).toMatch(message);
    }
  });

  it("refuses a page token that does not name an offset", async () => {
    const bad = Buffer.from(JSON.stringify({ offset: 1.5 })).toString("base64");
    await expect(async () => store.searchTraces({ experimentIds: ["0"], pageToken: bad })).rejects.toThrow(
      /Invalid page token/,
    );
  });

  it("page tokens always advance: following them visits every trace once and ends", async () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await store.searchTraces({
        experimentIds: ["0"],
        maxResults: 2,
        ...(pageToken ? { pageToken } : {}),
      });
      seen.push(...page.traces.map((t) => t.info.traceId));
      if (!page.nextPageToken) break;
      expect(page.nextPageToken).not.toBe(pageToken);
      pageToken = page.nextPageToken;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1].map(traceId));
  });

  it("RLIKE with an invalid pattern is an InvalidFilterError from the client, not a SyntaxError", async () => {
    const e = await thrown(() => client.searchTraces({ experimentIds: ["0"], filterString: "tags.env RLIKE '('" }));
    expect(e).toBeInstanceOf(InvalidFilterError);
    expect((e as Error).message).toMatch(/invalid regular expression for RLIKE/);
  });
});

describe("logFeedback and logExpectation", () => {
  let store: InMemoryTraceStore;
  let id: string;
  let spanId: string;
  beforeEach(async () => {
    await flushTraces();
    store = new InMemoryTraceStore();
    setTraceStore(store);
    withSpan({ name: "root" }, (span) => {
      id = span.traceId;
      spanId = span.spanId;
    });
    await flushTraces();
  });

  it.each([
    ["camelCase", { sourceType: "HUMAN", sourceId: "reviewer" }],
    ["MLflow's snake_case", { source_type: "HUMAN", source_id: "reviewer" }],
  ])("accepts a plain source object (%s)", async (_form, source) => {
    const f = await client.logFeedback({ traceId: id, name: "ok", value: true, source: source as never });
    expect(f.source.toDict()).toEqual({ source_type: "HUMAN", source_id: "reviewer" });
    const stored = (await client.getTrace(id)).searchAssessments({ name: "ok" })[0]!;
    expect(stored.source.sourceType).toBe("HUMAN");
    expect(stored.source.sourceId).toBe("reviewer");
  });

  it.each([
    [
      { sourceType: "ROBOT", sourceId: "x" },
      /source: Invalid assessment source type "ROBOT": expected HUMAN, LLM_JUDGE or CODE/,
    ],
    [{ sourceId: "x" }, /source: Invalid assessment source type undefined/],
    ["HUMAN", /source: Invalid assessment source: expected \{ sourceType/],
    [{ sourceType: "HUMAN", sourceId: 5 }, /source: Invalid assessment source id/],
  ])("refuses the source %j", async (source, message) => {
    const e = await thrown(() => client.logFeedback({ traceId: id, name: "ok", value: 1, source: source as never }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(message);
    expect((await client.getTrace(id)).info.assessments).toHaveLength(0);
  });

  it("refuses feedback with neither a value nor an error, and accepts an error alone", async () => {
    const e = await thrown(() => client.logFeedback({ traceId: id, name: "ok" } as never));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/give a value, or an error/);
    const f = await client.logFeedback({ traceId: id, name: "judge", error: { errorCode: "TIMEOUT" } } as never);
    expect(f.error).toEqual({ errorCode: "TIMEOUT" });
    await expect(client.logFeedback({ traceId: id, name: "x", error: "boom" } as never)).rejects.toThrow(
      /error must be \{ errorCode\?: string, errorMessage\?: string \}/,
    );
    await expect(client.logExpectation({ traceId: id, name: "x" } as never)).rejects.toThrow(/value is required/);
  });

  it("refuses feedback on a span the trace does not have, and accepts one it has", async () => {
    const e = await thrown(() => client.logFeedback({ traceId: id, spanId: "00000000deadbeef", name: "ok", value: 1 }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(new RegExp(`trace ${id} has no span "00000000deadbeef"`));
    const f = await client.logFeedback({ traceId: id, spanId, name: "ok", value: 1 });
    expect(f.spanId).toBe(spanId);
    expect((await client.getTrace(id)).info.assessments.map((a) => a.spanId)).toEqual([spanId]);
  });

  it("names wrongly typed options", async () => {
    await expect(client.logFeedback({ traceId: 5, name: "ok", value: 1 } as never)).rejects.toThrow(
      /logFeedback: traceId must be a non-empty string/,
    );
    await expect(client.logFeedback({ traceId: id, name: "", value: 1 })).rejects.toThrow(
      /logFeedback: name must be a non-empty string/,
    );
    await expect(client.logFeedback({ traceId: id, name: "ok", value: 1, metadata: "x" } as never)).rejects.toThrow(
      /logFeedback: metadata must be an object/,
    );
  });
});

describe("extractFields", () => {
  beforeEach(async () => {
    await flushTraces();
    setTraceStore(new InMemoryTraceStore());
  });

  it("reads a backquoted span name with dots, as MLflow writes it", async () => {
    withSpan({ name: "outer" }, () => withSpan({ name: "my.span" }, () => ({ c: 3 })));
    const [row] = await client.searchTraceRows({
      experimentIds: ["0"],
      extractFields: ["`my.span`.outputs.c", "`my.span`.outputs", "my.span.outputs.c"],
    });
    expect(row!["`my.span`.outputs.c"]).toBe(3);
    expect(row!["`my.span`.outputs"]).toEqual({ c: 3 });
    expect(row!["my.span.outputs.c"]).toBe(3);
  });

  it("names a wrongly typed extractFields option", async () => {
    await expect(client.searchTraces({ extractFields: "span.outputs" } as never)).rejects.toThrow(
      /extractFields must be an array of strings/,
    );
    await expect(client.searchTraces({ extractFields: ["no-kind"] })).rejects.toThrow(
      /Invalid extract field "no-kind"/,
    );
  });
});

describe("trace() options", () => {
  it.each([
    [{ spanType: 5 }, /spanType must be a non-empty string such as "LLM" or "TOOL", got number 5/],
    [{ spanType: "" }, /spanType must be a non-empty string/],
    [{ name: 7 }, /name must be a non-empty string, got number 7/],
    [{ attributes: "x" }, /attributes must be an object of attribute values, got the string "x"/],
    ["LLM", /options must be an object, got the string "LLM"/],
  ])("trace(fn, %j) is refused when the function is wrapped", (options, message) => {
    const e = (() => {
      try {
        trace(() => 1, options as never);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(message);
  });

  it("still accepts a custom span type string", () => {
    expect(trace((x: number) => x + 1, { spanType: "MY_TYPE" })(1)).toBe(2);
  });
});

describe("Trace.fromJson", () => {
  it.each([
    ['{"info":{}}', /"info.trace_id" .* is missing/],
    ["null", /expected an object with "info" and "data", got null/],
    ["[]", /got an array/],
    ['{"data":{"spans":[]}}', /"info" is missing or not an object/],
    ['{"info":{"trace_id":"tr-1"},"data":{"spans":{}}}', /"data.spans" must be an array/],
    ["not json", /the text is not JSON/],
  ])("refuses %s with a clear error", (json, message) => {
    const e = (() => {
      try {
        Trace.fromJson(json);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(message);
  });

  it("still reads a trace it wrote", () => {
    const t = makeTrace(1);
    expect(Trace.fromJson(t.toJson()).toDict()).toEqual(t.toDict());
  });
});
