import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  getTracingContextHeadersForHttpRequest,
  InvalidArgumentError,
  startSpan,
  withSpan,
  withTracingContextFromHeaders,
} from "../src/index.js";
import { storedTraces, useMemoryStore } from "./helpers.js";

const store = useMemoryStore();

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** A tool service on loopback: runs its handler span in the caller's trace context. */
let server: Server;
let url = "";
let seenHeaders: IncomingHttpHeaders = {};
beforeAll(async () => {
  server = createServer((req, res) => {
    seenHeaders = req.headers;
    withTracingContextFromHeaders(req.headers, () =>
      withSpan({ name: "tool-service", spanType: "TOOL" }, async () => {
        await withSpan({ name: "tool-step" }, async () => undefined);
        res.end(JSON.stringify({ ok: true }));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("getTracingContextHeadersForHttpRequest", () => {
  it("is {} outside any span", () => {
    expect(getTracingContextHeadersForHttpRequest()).toEqual({});
  });

  it("is the active span's traceparent", () => {
    const headers = withSpan({ name: "caller" }, (span) => {
      const h = getTracingContextHeadersForHttpRequest();
      expect(h.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanId}-01`);
      return h;
    });
    expect(Object.keys(headers)).toEqual(["traceparent"]);
  });
});

describe("withTracingContextFromHeaders", () => {
  it("makes the first local span a child of the remote span, in the remote trace", async () => {
    const remoteTraceId = "0af7651916cd43dd8448eb211c80319c";
    const remoteSpanId = "b7ad6b7169203331";
    withTracingContextFromHeaders({ traceparent: `00-${remoteTraceId}-${remoteSpanId}-01` }, () =>
      withSpan({ name: "callee" }, () => withSpan({ name: "callee-child" }, () => 1)),
    );
    const [t] = await storedTraces(store());
    expect(t!.info.traceId).toBe(`tr-${remoteTraceId}`);
    const callee = t!.data.spans.find((s) => s.name === "callee")!;
    const child = t!.data.spans.find((s) => s.name === "callee-child")!;
    expect(callee.parentId).toBe(remoteSpanId);
    expect(callee.traceId).toBe(`tr-${remoteTraceId}`);
    expect(child.parentId).toBe(callee.spanId);
  });

  it("joins the caller's trace over real HTTP: one trace, the service span under the caller's span", async () => {
    await withSpan({ name: "agent", spanType: "AGENT" }, async () => {
      await withSpan({ name: "call-tool", spanType: "TOOL" }, async () => {
        const res = await fetch(`${url}/tool`, { method: "POST", headers: getTracingContextHeadersForHttpRequest() });
        await res.text();
      });
    });
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    const spans = traces[0]!.data.spans;
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(["agent", "call-tool", "tool-service", "tool-step"]);
    expect(byName.get("tool-service")!.parentId).toBe(byName.get("call-tool")!.spanId);
    expect(byName.get("tool-step")!.parentId).toBe(byName.get("tool-service")!.spanId);
    const [, traceId, spanId] = TRACEPARENT_RE.exec(String(seenHeaders.traceparent))!;
    expect(`tr-${traceId}`).toBe(traces[0]!.info.traceId);
    expect(spanId).toBe(byName.get("call-tool")!.spanId);
  });

  it("passes tracestate on to the next hop", () => {
    const incoming = {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      tracestate: "vendor=abc,other=1",
    };
    const outgoing = withTracingContextFromHeaders(incoming, () =>
      withSpan({ name: "middle" }, () => getTracingContextHeadersForHttpRequest()),
    );
    expect(outgoing.tracestate).toBe("vendor=abc,other=1");
    expect(outgoing.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(outgoing.traceparent).not.toContain("00f067aa0ba902b7");
  });

  it("accepts a fetch Headers object and header names in any case", async () => {
    const traceId = "11111111111111111111111111111111";
    withTracingContextFromHeaders(new Headers({ TraceParent: `00-${traceId}-2222222222222222-01` }), () =>
      startSpan({ name: "from-headers" }).end(),
    );
    withTracingContextFromHeaders({ Traceparent: `00-${traceId.replace(/1/g, "3")}-2222222222222222-01` }, () =>
      startSpan({ name: "from-record" }).end(),
    );
    const ids = (await storedTraces(store())).map((t) => t.info.traceId);
    expect(ids).toEqual([`tr-${traceId}`, `tr-${"3".repeat(32)}`]);
  });

  it("runs fn unchanged, logged, in a trace of its own when the traceparent is missing or invalid", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const marker = { same: true };
      expect(withTracingContextFromHeaders({}, () => marker)).toBe(marker);
      const result = withTracingContextFromHeaders({ traceparent: "00-zzzz-1234-01" }, () =>
        withSpan({ name: "orphan" }, (span) => span.parentId),
      );
      expect(result).toBeNull();
      expect(warn.mock.calls.some((c) => String(c[0]).includes("invalid traceparent"))).toBe(true);
      const error = new Error("user's own");
      expect(() =>
        withTracingContextFromHeaders({ traceparent: "garbage" }, () => {
          throw error;
        }),
      ).toThrow(error);
      const [t] = await storedTraces(store());
      expect(t!.data.spans[0]!.parentId).toBeNull();
    } finally {
      warn.mockRestore();
    }
  });

  it("rejects a callback that is not a function with a typed error", () => {
    expect(() => withTracingContextFromHeaders({}, 42 as unknown as () => void)).toThrow(InvalidArgumentError);
  });
});

describe("parts of one trace logged separately", () => {
  it("a callee part that ends after the caller's trace merges into it: spans added, the caller's info kept, time range widened", async () => {
    let headers: Record<string, string> = {};
    let release: () => void = () => undefined;
    const late = new Promise<void>((r) => {
      release = r;
    });
    withSpan({ name: "caller" }, () => {
      headers = getTracingContextHeadersForHttpRequest();
    });
    // the callee is still working when the caller's trace has ended and been logged
    const callee = withTracingContextFromHeaders(headers, () =>
      withSpan({ name: "late-callee" }, async (span) => {
        await late;
        span.setStatus("ERROR");
      }),
    );
    await storedTraces(store());
    release();
    await callee;
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(1);
    const t = traces[0]!;
    expect(t.data.spans.map((s) => s.name).sort()).toEqual(["caller", "late-callee"]);
    expect(t.info.tags["mlflow.traceName"]).toBe("caller");
    expect(t.info.state).toBe("OK"); // the caller's root decides; the callee's error is in its span
    const callee2 = t.data.spans.find((s) => s.name === "late-callee")!;
    expect(t.info.requestTime + (t.info.executionDuration ?? 0)).toBeGreaterThanOrEqual(
      Math.floor((callee2.endTimeNs as number) / 1e6),
    );
  });
});
