/**
 * What any web page can send to `tracewright ui` (a cross-site `<img>` needs no permission) and
 * what a mistyped link holds: the server answers 4xx at once and keeps serving, the app shows a
 * notice instead of a blank page.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteTraceStore, Trace, TraceData, TraceInfo } from "@tracewright/core";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRoute } from "../src/app/route.js";
import { startUiServer, type UiServer } from "../src/index.js";
import { launchChromium } from "./browser.js";

let store: SqliteTraceStore;
let server: UiServer;

beforeAll(async () => {
  store = new SqliteTraceStore(join(mkdtempSync(join(tmpdir(), "tw-ui-hostile-")), "traces.db"));
  const traces: Trace[] = [];
  for (let i = 1; i <= 20; i++) {
    const id = `tr-${i.toString(16).padStart(32, "0")}`;
    traces.push(
      new Trace(
        new TraceInfo({
          traceId: id,
          experimentId: "0",
          requestTime: 1_700_000_000_000 + i,
          executionDuration: 5,
          state: "OK",
          tags: { "mlflow.traceName": `t${i}` },
          // 40 characters: a backtracking engine needs ~2^40 steps to reject '^(.+)+X' here
          traceMetadata: { "mlflow.trace_schema.version": "3", "mlflow.traceInputs": "a".repeat(40) },
        }),
        new TraceData([]),
      ),
    );
  }
  await store.logTraces(traces);
  server = await startUiServer({ store, port: 0 });
});

afterAll(async () => {
  await server?.close();
  store?.close();
});

const get = async (path: string) => {
  const res = await fetch(new URL(path, server.url));
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } & Record<string, unknown> };
};

describe("the API under hostile input", () => {
  it("answers a pathological RLIKE filter within 1 s while serving another request", async () => {
    const evil = `/api/traces?filter=${encodeURIComponent("metadata.`mlflow.traceInputs` RLIKE '^(.+)+X'")}`;
    const started = performance.now();
    const slow = get(evil).then((r) => ({ ...r, ms: performance.now() - started }));
    // issued right after: it is answered only once the event loop is free again
    const other = get("/api/experiments").then((r) => ({ ...r, ms: performance.now() - started }));
    const [a, b] = await Promise.all([slow, other]);
    expect(a.status).toBe(200);
    expect(a.body.traces).toEqual([]);
    expect(b.status).toBe(200);
    expect(a.ms).toBeLessThan(1000);
    expect(b.ms).toBeLessThan(1000);
  });

  it("answers an RLIKE pattern the engine refuses with 400 INVALID_FILTER", async () => {
    const r = await get(`/api/traces?filter=${encodeURIComponent("tags.env RLIKE '(?=x)'")}`);
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe("INVALID_FILTER");
  });

  it.each(["/api/traces/%E0%A4%A", "/api/traces/%", "/api/traces/%zz/feedback"])(
    "answers broken percent-encoding in %s with 400",
    async (path) => {
      const res = await fetch(new URL(path, server.url), path.endsWith("feedback") ? { method: "POST" } : {});
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_PATH");
    },
  );
});

describe("requests another site makes the browser send", () => {
  /** A raw request, so that the Sec-Fetch-Site header a browser adds can be set. */
  const rawGet = (path: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      import("node:http").then(({ request }) => {
        const req = request({ host: "127.0.0.1", port: server.port, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      }, reject);
    });

  it("refuses API requests a browser marks cross-site (an <img> on another page) with 403", async () => {
    const evil = `/api/traces?filter=${encodeURIComponent("metadata.`mlflow.traceInputs` RLIKE '^(.+)+X'")}`;
    expect(await rawGet(evil, { "sec-fetch-site": "cross-site" })).toBe(403);
    expect(await rawGet("/api/experiments", { "sec-fetch-site": "same-site" })).toBe(403);
  });

  it("serves the app's own requests, typed URLs, and clients that send no such header", async () => {
    expect(await rawGet("/api/experiments", { "sec-fetch-site": "same-origin" })).toBe(200);
    expect(await rawGet("/api/experiments", { "sec-fetch-site": "none" })).toBe(200);
    expect(await rawGet("/api/experiments", {})).toBe(200);
    // the page itself may be opened from a link on another site
    expect(await rawGet("/", { "sec-fetch-site": "cross-site" })).toBe(200);
  });
});

describe("routes in the URL hash", () => {
  it.each([
    ["#/", { view: "list" }],
    ["#/trace/tr-1", { view: "trace", traceId: "tr-1", spanId: null }],
    ["#/trace/tr%2F1/span%201", { view: "trace", traceId: "tr/1", spanId: "span 1" }],
    ["#/compare/a/b", { view: "compare", a: "a", b: "b" }],
    ["#/trace/%E0%A4%A", { view: "list", problem: expect.stringContaining("#/trace/%E0%A4%A") }],
    ["#/compare/%/b", { view: "list", problem: expect.stringContaining("not a valid link") }],
  ])("%s", (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });
});

describe("a bad URL hash in a browser", () => {
  let browser: BrowserContext;
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the trace list and a notice, not a blank page", async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}#/trace/%E0%A4%A`);
    await page.getByTestId("route-problem").waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("route-problem").textContent()).toContain("not a valid link");
    await page.locator("[data-testid=trace-row]").first().waitFor({ timeout: 10_000 });
    // a bad hash typed later, while the app runs, is handled the same way
    await page.evaluate(() => {
      window.location.hash = "#/compare/%/x";
    });
    await expect.poll(() => page.getByTestId("route-problem").textContent()).toContain("#/compare/%/x");
    expect(errors).toEqual([]);
  });
});
