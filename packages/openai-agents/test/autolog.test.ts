/**
 * The kit's uniform autolog for the Agents SDK: idempotent, disable undoes what enable did (no new
 * run recorded, by autolog's processor or one registered by hand; autolog's no longer rejoins the
 * SDK's list), the common options with the meaning they have everywhere, a version outside the
 * tested range warned once.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, run, setDefaultOpenAIClient, setTraceProcessors, setTracingDisabled } from "@openai/agents";
import { SpanAttributeKey } from "@tracewright/core";
import { readRecordingText, replayBody, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import OpenAI from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as agents from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const ANSWER = "In Paris it is 18°C and sunny, and the local time is 14:05.";
const TREE = [
  "Agent workflow (CHAIN) OK",
  "  Plain agent (AGENT) OK",
  "    turn 1: Plain agent (CHAIN) OK",
  "      Response (CHAT_MODEL) OK",
];
const ask = async () => {
  replayBody({ path: "/v1/responses", body: readRecordingText("handwritten-responses-weather-answer.json") });
  return (await run(new Agent({ name: "Plain agent", instructions: "Answer briefly." }), "Weather in Paris?"))
    .finalOutput;
};

/** Every string inside `value` replaced, keys kept. */
function scrub(value: unknown): unknown {
  if (typeof value === "string") return "[scrubbed]";
  if (Array.isArray(value)) return value.map(scrub);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  return value;
}

describe("autolog", () => {
  const store = useRecordedHttpStore();
  beforeAll(() => {
    setTracingDisabled(false); // the SDK turns tracing off under NODE_ENV=test
    setTraceProcessors([]); // no export to OpenAI's backend from tests
    setDefaultOpenAIClient(new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 }));
  });
  afterEach(() => agents.autolog());

  it("is idempotent: one processor, each run recorded once", async () => {
    const first = await agents.autolog();
    expect(first).toMatchObject({ integration: "openai-agents", enabled: true });
    const processor = agents.autologProcessor();
    agents.autolog(); // not awaited: registration happens before autolog returns
    await agents.autolog();
    expect(agents.autologProcessor()).toBe(processor);
    expect(await ask()).toBe(ANSWER);
    const traces = await storedTraces(store());
    expect(traces.map(spanTree)).toEqual([TREE]);
  });

  it("records no run after disable, with autolog's processor or one registered by hand, and again once re-enabled", async () => {
    await agents.autolog();
    expect(await agents.autolog({ disable: true })).toEqual({
      integration: "openai-agents",
      enabled: false,
      patched: [],
    });
    await ask();
    setTraceProcessors([new agents.TracewrightAgentsProcessor()]); // replaces autolog's, which does not rejoin
    await Promise.resolve();
    await ask();
    expect(await storedTraces(store())).toEqual([]);

    setTraceProcessors([]);
    await agents.autolog(); // rejoins the list it was dropped from
    await ask();
    expect((await storedTraces(store())).map(spanTree)).toEqual([TREE]);
  });

  it("applies redact to every span of the run", async () => {
    await agents.autolog({ redact: scrub });
    await ask();
    const [t] = await storedTraces(store());
    expect(t!.data.spans).toHaveLength(4);
    for (const span of t!.data.spans) {
      const stored = JSON.stringify(span.toDict());
      expect(stored).not.toContain("Paris");
      expect(stored).not.toContain("Answer briefly");
    }
    const response = t!.data.spans.find((s) => s.name === "Response")!;
    expect(response.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([
      { role: "[scrubbed]", content: "[scrubbed]" },
      { role: "[scrubbed]", content: "[scrubbed]" },
    ]);
    expect(t!.info.tokenUsage?.total_tokens).toBeGreaterThan(0); // usage is structure, never redacted
  });

  it("records structure and usage but no message content with recordContent: false", async () => {
    await agents.autolog({ recordContent: false });
    await ask();
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual(TREE);
    const stored = JSON.stringify(t!.data.spans.map((s) => s.toDict()));
    expect(stored).not.toContain("Paris");
    expect(stored).not.toContain("Answer briefly");
    const response = t!.data.spans.find((s) => s.name === "Response")!;
    expect(response.getAttribute(SpanAttributeKey.CHAT_MESSAGES)).toEqual([{ role: "user" }, { role: "assistant" }]);
    expect(response.getAttribute(SpanAttributeKey.MODEL)).toBe("gpt-4o-mini-2024-07-18");
    expect(t!.info.tokenUsage?.total_tokens).toBeGreaterThan(0);
  });

  it("records nothing with logTraces: false", async () => {
    await agents.autolog({ logTraces: false });
    expect(await ask()).toBe(ANSWER);
    expect(await storedTraces(store())).toEqual([]);
  });
});

describe("at exit", () => {
  it("the app exits at once: the SDK's provider shutting its processors down does not make ours rejoin in a loop", () => {
    const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");
    const started = Date.now();
    const child = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", 'const agents = await import("./dist/index.js"); await agents.autolog();'],
      { cwd: pkgDir, encoding: "utf8", timeout: 20_000 },
    );
    expect(child.status).toBe(0);
    expect(child.stderr).toBe("");
    expect(Date.now() - started).toBeLessThan(10_000); // was ~45 s of a tight loop, ending in "Invalid array length"
  });
});

describe("a loaded @openai/agents-core outside the tested versions", () => {
  it("is warned about once, and still traced", () => {
    const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");
    const app = mkdtempSync(join(tmpdir(), "tw-agents-"));
    const fake = join(app, "node_modules", "@openai", "agents-core");
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, "package.json"),
      JSON.stringify({ name: "@openai/agents-core", version: "0.21.0", type: "module", exports: "./index.js" }),
    );
    writeFileSync(
      join(fake, "index.js"),
      "export function addTraceProcessor() {}\nexport function getCurrentSpan() {}\n",
    );
    mkdirSync(join(app, "node_modules", "@tracewright"), { recursive: true });
    symlinkSync(pkgDir, join(app, "node_modules", "@tracewright", "openai-agents"), "dir");
    writeFileSync(
      join(app, "app.mjs"),
      `const warnings = [];
console.warn = (line) => warnings.push(String(line));
const agents = await import("@tracewright/openai-agents");
const first = await agents.autolog();
await agents.autolog();
console.log(JSON.stringify({ first, warnings }));`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, ["app.mjs"], { cwd: app, encoding: "utf8", timeout: 20_000 }),
    );
    expect(out.first.patched).toContain("@openai/agents-core@0.21.0 (ESM)");
    expect(out.warnings).toEqual([
      "[tracewright/openai-agents] @openai/agents-core 0.21.0 is outside the versions @tracewright/openai-agents is tested with (>=0.20.0 <0.21.0); tracing it anyway",
    ]);
  });
});
