import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flushTraces, SqliteTraceStore, setTraceStore, trace, updateCurrentTrace } from "@tracewright/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUiServer, type TraceSummary, type TraceView, type UiServer } from "../src/index.js";

let store: SqliteTraceStore;
let server: UiServer;
let ids: string[] = [];

async function api(path: string, init?: RequestInit & { host?: string }) {
  const headers = new Headers(init?.headers);
  const res = await fetch(new URL(path, server.url), { ...init, headers });
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
  return { status: res.status, body: body as Record<string, unknown> & { error?: { code: string; message: string } } };
}

/** A raw request, so that the Host header can be set (fetch does not let it be changed). */
async function rawGet(port: number, host: string): Promise<number> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/api/traces", headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  store = new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-ui-")), "traces.db"));
  setTraceStore(store);
  const answer = trace(function answer(question: string, env: string) {
    updateCurrentTrace({ tags: { env } });
    return `echo: ${question}`;
  });
  const failing = trace(function failing() {
    throw new Error("boom");
  });
  const tick = () => new Promise((r) => setTimeout(r, 3)); // distinct start times: a stable order
  for (let i = 0; i < 5; i++) {
    answer(`question ${i}`, i % 2 === 0 ? "prod" : "dev");
    await tick();
  }
  try {
    failing();
  } catch {}
  await flushTraces();
  ids = (await store.searchTraces({ experimentIds: ["0"], maxResults: 100 })).traces.map((t) => t.info.traceId);
  server = await startUiServer({ store, port: 0 });
});

afterAll(async () => {
  await server.close();
  setTraceStore(null);
});

describe("the trace list API", () => {
  it("lists trace summaries newest first, with name, state, tags and previews", async () => {
    const { status, body } = await api("/api/traces");
    expect(status).toBe(200);
    const traces = body.traces as TraceSummary[];
    expect(traces).toHaveLength(6);
    expect(traces[0]).toMatchObject({ name: "failing", state: "ERROR", spanCount: null });
    expect(traces[1]).toMatchObject({ name: "answer", state: "OK", tags: { env: "prod" } });
    expect(traces[1]!.requestPreview).toContain("question 4");
    expect(body.nextPageToken).toBeNull();
  });

  it("filters with the searchTraces grammar, orders and pages", async () => {
    const prod = await api(`/api/traces?filter=${encodeURIComponent("tags.env = 'prod'")}`);
    expect((prod.body.traces as TraceSummary[]).map((t) => t.tags.env)).toEqual(["prod", "prod", "prod"]);
    const errors = await api(`/api/traces?filter=${encodeURIComponent("attributes.status = 'ERROR'")}`);
    expect((errors.body.traces as TraceSummary[]).map((t) => t.name)).toEqual(["failing"]);
    const first = await api("/api/traces?pageSize=4&order=timestamp_ms%20ASC");
    expect((first.body.traces as TraceSummary[]).map((t) => t.requestPreview)[0]).toContain("question 0");
    expect(first.body.nextPageToken).toEqual(expect.any(String));
    const second = await api(`/api/traces?pageSize=4&order=timestamp_ms%20ASC&pageToken=${first.body.nextPageToken}`);
    expect((second.body.traces as TraceSummary[]).map((t) => t.name)).toEqual(["answer", "failing"]);
  });

  it("answers a bad filter, order or page size with a 400 that says what is wrong", async () => {
    const filter = await api(`/api/traces?filter=${encodeURIComponent("tags.env = ")}`);
    expect(filter.status).toBe(400);
    expect(filter.body.error?.code).toBe("INVALID_FILTER");
    expect(filter.body.error?.message).toMatch(/filter/i);
    const order = await api(`/api/traces?order=${encodeURIComponent("timestamp_ms SIDEWAYS")}`);
    expect(order.status).toBe(400);
    expect(order.body.error?.message).toMatch(/ASC or DESC/);
    for (const size of ["0", "501", "ten", "2.5"]) {
      const page = await api(`/api/traces?pageSize=${size}`);
      expect(page.status).toBe(400);
      expect(page.body.error).toMatchObject({ code: "INVALID_PAGE_SIZE" });
    }
    const experiment = await api("/api/traces?experiment=nope");
    expect(experiment.status).toBe(404);
  });
});

describe("the trace API", () => {
  it("serves a trace with decoded spans, and 404/400 for unknown or malformed ids", async () => {
    const { status, body } = await api(`/api/traces/${ids[1]}`);
    expect(status).toBe(200);
    const view = body as unknown as TraceView;
    expect(view.spans[0]).toMatchObject({ name: "answer", spanType: "UNKNOWN", parentId: null });
    expect(view.spans[0]!.inputs).toEqual({ question: "question 4", env: "prod" });
    const failing = (await api(`/api/traces/${ids[0]}`)).body as unknown as TraceView;
    expect(failing.spans[0]!.events[0]!.attributes["exception.message"]).toBe("boom");
    expect((await api("/api/traces/tr-00000000000000000000000000000000")).status).toBe(404);
    const malformed = await api(`/api/traces/${encodeURIComponent("<script>")}`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe("INVALID_TRACE_ID");
  });
});

describe("the feedback API", () => {
  const post = (id: string, body: unknown, type = "application/json") =>
    api(`/api/traces/${id}/feedback`, {
      method: "POST",
      headers: { "content-type": type },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("stores a thumbs up with a comment as HUMAN feedback, on the trace or on a span", async () => {
    const traceId = ids[2] as string;
    const created = await post(traceId, { value: true, rationale: "Right answer" });
    expect(created.status).toBe(201);
    const stored = await store.getTrace(traceId);
    const feedback = stored!.info.assessments.find((a) => a.name === "user_feedback");
    expect(feedback).toMatchObject({ value: true, rationale: "Right answer", spanId: null });
    expect(feedback!.source.sourceType).toBe("HUMAN");
    const spanId = stored!.data.spans[0]!.spanId;
    expect((await post(traceId, { value: false, spanId })).status).toBe(201);
    const again = await store.getTrace(traceId);
    expect(again!.info.assessments.filter((a) => a.spanId === spanId).map((a) => a.value)).toEqual([false]);
  });

  it("refuses bad feedback with clear 4xx errors", async () => {
    const traceId = ids[3] as string;
    expect((await post(traceId, { value: "yes" })).body.error?.message).toMatch(/"value" must be true/);
    expect((await post(traceId, { value: true, spanId: "nope" })).body.error?.code).toBe("UNKNOWN_SPAN");
    expect((await post(traceId, "{not json")).body.error?.code).toBe("INVALID_JSON");
    expect((await post(traceId, "value=true", "application/x-www-form-urlencoded")).status).toBe(415);
    const huge = await post(traceId, { value: true, rationale: "x".repeat(20_000) });
    expect(huge.status).toBe(413);
    expect((await post("tr-00000000000000000000000000000000", { value: true })).status).toBe(404);
    const stored = await store.getTrace(traceId);
    expect(stored!.info.assessments).toHaveLength(0);
  });
});

describe("the server", () => {
  it("serves the bundled app from its own origin, with nothing fetched from elsewhere", async () => {
    const page = await api("/");
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('src="/assets/app.js"');
    expect(String(page.body)).not.toMatch(/https?:\/\//);
    const script = await fetch(new URL("/assets/app.js", server.url));
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.text()).length).toBeGreaterThan(10_000);
    expect((await api("/assets/../../package.json")).status).toBe(404);
    expect((await api("/api/nothing")).status).toBe(404);
  });

  it("listens on 127.0.0.1 and refuses requests for other host names unless --host was given", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await rawGet(server.port, `localhost:${server.port}`)).toBe(200);
    expect(await rawGet(server.port, "attacker.example")).toBe(403);
    const open = await startUiServer({ store, port: 0, host: "0.0.0.0" });
    try {
      expect(await rawGet(open.port, "my-laptop.lan")).toBe(200);
    } finally {
      await open.close();
    }
  });
});
