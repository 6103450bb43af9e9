/**
 * The viewer in a real browser (Debian's chromium through playwright-core), over a store filled
 * by running the example apps (recorded HTTP) plus a 1,500-span trace and 1,500 small traces.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteTraceStore } from "@tracewright/core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUiServer, type UiServer } from "../src/index.js";
import { launchChromium } from "./browser.js";
import { addLoad, runExample } from "./fill-store.js";

const BIG_TRACE_SPANS = 1501;
const SMALL_TRACES = 1500;
/** Set to docs/screenshots (from the repository root) to refresh the README's screenshots. */
const SCREENSHOT_DIR = process.env.TRACEWRIGHT_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), "tw-shots-"));

let dbPath: string;
let store: SqliteTraceStore;
let server: UiServer;
let browser: BrowserContext;
let page: Page;

const rowNames = (p: Page, testId = "span-row") =>
  p.locator(`[data-testid=${testId}]`).evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.spanName));

async function openList(filter = "") {
  await page.goto(server.url);
  if (filter) {
    await page.getByLabel("Filter").fill(filter);
    const filtered = page.waitForResponse((r) => r.url().includes("/api/traces?") && r.url().includes("filter="));
    await page.getByRole("button", { name: "Search" }).click();
    await filtered;
  }
  await page.locator("[data-testid=trace-row]").first().waitFor();
}

async function openTrace(name: string) {
  await openList(`tags.\`mlflow.traceName\` = '${name}'`);
  await page.locator("[data-testid=trace-row]", { hasText: name }).first().click();
  await page.locator("[data-testid=span-row]").first().waitFor();
}

beforeAll(async () => {
  dbPath = join(mkdtempSync(join(tmpdir(), "tw-ui-e2e-")), "traces.db");
  await addLoad(dbPath, BIG_TRACE_SPANS, SMALL_TRACES);
  await runExample("quickstart", "src/app.ts", dbPath);
  await runExample("quickstart", "src/app.ts", dbPath);
  await runExample("openai-chat", "src/main.ts", dbPath);
  await runExample("vercel-ai-agent", "src/main.ts", dbPath);
  store = new SqliteTraceStore(dbPath);
  server = await startUiServer({ store, port: 0 });
  browser = await launchChromium();
  page = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  store?.close();
});

describe("tracewright ui in a browser", () => {
  it("lists thousands of traces, rendering only the rows in view, and loads more on scroll", async () => {
    await openList();
    await expect.poll(() => page.getByTestId("list-foot").textContent()).toContain("100 traces shown");
    const first = await page.locator("[data-testid=trace-row]").first().textContent();
    expect(first).toContain("invoke_agent gpt-4o-mini"); // the newest trace, from the Vercel AI example
    const rendered = Number(await page.getByTestId("trace-rows").getAttribute("data-rendered-rows"));
    expect(rendered).toBeLessThan(60);
    await page.getByTestId("trace-rows").evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.dispatchEvent(new Event("scroll"));
    });
    await expect.poll(() => page.getByTestId("list-foot").textContent()).toContain("200 traces shown");
    await page.getByTestId("trace-rows").evaluate((el) => {
      el.scrollTop = 0;
    });
    await page.screenshot({ path: join(SCREENSHOT_DIR, "trace-list.png") });
  });

  it("sorts by a column, both ways", async () => {
    await openList();
    const toMs = (text: string) => {
      if (text.startsWith("<")) return 0.5;
      const [n, unit] = text.split(" ");
      return Number(n) * (unit === "s" ? 1000 : unit === "µs" ? 0.001 : 1);
    };
    const durations = async () => (await page.locator("[data-testid=trace-row] .duration").allTextContents()).map(toMs);
    for (const [label, descending] of [
      ["Duration", true],
      ["Duration ↓", false],
    ] as const) {
      const sorted = page.waitForResponse((r) => r.url().includes("order=execution_time_ms"));
      await page.getByRole("button", { name: label, exact: true }).click();
      await sorted;
      await expect
        .poll(async () => {
          const shown = await durations();
          const expected = [...shown].sort((a, b) => (descending ? b - a : a - b));
          return shown.length > 5 && shown.every((d, i) => d === expected[i]);
        })
        .toBe(true);
    }
    await expect.poll(() => page.getByRole("button", { name: "Duration ↑", exact: true }).count()).toBe(1);
  });

  it("filters with the searchTraces grammar and shows a bad filter's error inline", async () => {
    await openList();
    await page.getByLabel("Filter").fill("tags.environment = ");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.getByTestId("filter-error").textContent()).toMatch(/Invalid filter/i);
    await page.getByLabel("Filter").fill("tags.environment = 'demo'");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator("[data-testid=trace-row]").count()).toBe(2);
    expect(await page.getByTestId("filter-error").count()).toBe(0);
    const names = await page.locator("[data-testid=trace-row] .name").allTextContents();
    expect(names.every((n) => n.startsWith("rag_pipeline"))).toBe(true);
  });

  it("opens a trace: span tree with a waterfall, collapse and expand, errors marked", async () => {
    await openTrace("rag_pipeline");
    expect(await rowNames(page)).toEqual(["rag_pipeline", "retrieve_documents", "generate_answer", "fact_check"]);
    await page.getByRole("button", { name: "Collapse rag_pipeline" }).click();
    expect(await rowNames(page)).toEqual(["rag_pipeline"]);
    await page.getByRole("button", { name: "Expand rag_pipeline" }).click();
    expect(await rowNames(page)).toHaveLength(4);
    const failed = page.locator("[data-testid=span-row][data-span-name=fact_check]");
    expect(await failed.getAttribute("class")).toContain("error");
    await expect.poll(() => failed.locator(".error-mark").count()).toBe(1);
    const bars = await page.locator("[data-testid=span-row] .bar").count();
    expect(bars).toBe(4);
    await page.locator("[data-testid=span-row][data-span-name=generate_answer]").click();
    await page.getByTestId("chat-transcript").waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, "trace-view.png") });
  });

  it("shows a chat span as a transcript with tools and token usage, documents as cards, exceptions with stacks", async () => {
    await openTrace("rag_pipeline");
    await page.locator("[data-testid=span-row][data-span-name=generate_answer]").click();
    const roles = await page
      .locator("[data-testid=chat-transcript] .msg")
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.role));
    expect(roles).toEqual(["system", "user", "assistant"]);
    expect(await page.getByTestId("chat-transcript").textContent()).toContain("fact_check");
    expect(await page.getByTestId("token-usage").textContent()).toContain("in 150");

    await page.locator("[data-testid=span-row][data-span-name=retrieve_documents]").click();
    const cards = page.locator("[data-testid=documents] .doc-card");
    // count() does not wait: wait for the span's detail to render first (it raced on a busy machine)
    await cards.first().waitFor();
    expect(await cards.count()).toBe(2);
    expect(await cards.first().textContent()).toMatch(/docs\/\w+\.md/);
    expect(await cards.first().locator(".doc-score").textContent()).toMatch(/score \d\.\d{3}/);

    await page.locator("[data-testid=span-row][data-span-name=fact_check]").click();
    await page.getByRole("tab", { name: /Events/ }).click();
    const exception = page.getByTestId("exception-event");
    expect(await exception.textContent()).toContain("Fact-check service unavailable");
    expect(await exception.locator(".stack").textContent()).toMatch(/\n\s+at /);

    await page.getByRole("tab", { name: "Inputs / Outputs" }).click();
    const inputs = page.getByTestId("span-inputs");
    expect(await inputs.textContent()).toContain("statement");
  });

  it("shows the tool calls and tool results of an AI SDK agent's second model call", async () => {
    await openTrace("invoke_agent gpt-4o-mini");
    expect(await rowNames(page)).toEqual([
      "invoke_agent gpt-4o-mini",
      "step 1",
      "chat gpt-4o-mini",
      "execute_tool get_weather",
      "execute_tool get_weather",
      "step 2",
      "chat gpt-4o-mini",
    ]);
    await page.locator("[data-testid=span-row][data-span-name='chat gpt-4o-mini']").nth(1).click();
    const transcript = page.getByTestId("chat-transcript");
    await transcript.waitFor();
    await expect.poll(() => transcript.locator("[data-testid=tool-call]").count()).toBe(2);
    const roles = await transcript
      .locator(".msg")
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.role));
    expect(roles).toEqual(["system", "user", "assistant", "tool", "tool", "assistant"]);
    expect(await transcript.textContent()).toContain("15 degrees and raining");
  });

  it("shows an embedding span as counts and dimensions", async () => {
    await openTrace("index_corpus");
    await page.locator("[data-testid=span-row][data-span-name=embed_texts]").click();
    const summary = page.getByTestId("embedding-summary");
    expect(await summary.textContent()).toContain("4 vectors of 1536 dimensions from 4 inputs");
    expect(await summary.textContent()).toContain("blue fish");
  });

  it("adds feedback from the page and stores it as a HUMAN assessment", async () => {
    await openTrace("rag_pipeline");
    const traceId = await page.evaluate(() => decodeURIComponent(window.location.hash.split("/")[2] ?? ""));
    await page.getByRole("button", { name: "▲ Good" }).click();
    await page.getByPlaceholder("Comment (optional)").fill("Clear and grounded");
    await page.getByRole("button", { name: "Save feedback" }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await expect.poll(() => page.locator(".trace-assessments").textContent()).toContain("Clear and grounded");
    const stored = await store.getTrace(traceId);
    const feedback = stored!.info.assessments.find((a) => a.name === "user_feedback");
    expect(feedback?.value).toBe(true);
    expect(feedback?.rationale).toBe("Clear and grounded");
    expect(feedback?.source.sourceType).toBe("HUMAN");
  });

  it("opens a trace of 1,500 spans without rendering them all", async () => {
    await openTrace("long_agent_run");
    const tree = page.getByTestId("span-tree");
    const rendered = Number(await tree.getAttribute("data-rendered-rows"));
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100);
    // the list is as tall as all its rows: every span can be scrolled to
    const rowsInList = () => tree.evaluate((el) => (el.firstElementChild as HTMLElement).offsetHeight / 28);
    expect(await rowsInList()).toBe(BIG_TRACE_SPANS);
    await page.getByRole("button", { name: "Collapse all" }).click();
    await expect.poll(rowsInList).toBe(751); // the root and its 750 steps, their tools folded
    await page.getByRole("button", { name: "Collapse long_agent_run" }).click();
    await expect.poll(rowsInList).toBe(1);
  });

  it("compares two runs span by span", async () => {
    await openList("tags.environment = 'demo'");
    await expect.poll(() => page.locator("[data-testid=trace-row]").count()).toBe(2);
    const boxes = page.locator("[data-testid=trace-row] input[type=checkbox]");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole("button", { name: "Compare 2/2" }).click();
    const summary = page.getByTestId("compare-summary");
    await summary.waitFor();
    expect(await summary.textContent()).toContain("0 added · 0 removed");
    await expect.poll(() => page.locator("[data-testid=diff-row]").count()).toBe(4);
  });

  it("refreshes the list live while an app writes traces", async () => {
    await openList("tags.`mlflow.traceName` = 'weather_agent'");
    await expect.poll(() => page.locator("[data-testid=trace-row]").count()).toBe(1);
    await runExample("openai-chat", "src/main.ts", dbPath);
    await expect.poll(() => page.locator("[data-testid=trace-row]").count(), { timeout: 10_000 }).toBe(2);
  });
});

mkdirSync(SCREENSHOT_DIR, { recursive: true });
