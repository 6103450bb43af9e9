/**
 * The kit's uniform autolog for the AI SDK: idempotent, disable undoes what enable did (the
 * integration in the AI SDK's global list and the tracing-channel subscription), the common
 * options with the meaning they have everywhere, a version outside the tested range warned once.
 */
import { execFileSync } from "node:child_process";
import { tracingChannel } from "node:diagnostics_channel";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REDACTION_FAILED } from "@tracewright/core/instrumentation";
import { replayNockRecording, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { generateText } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import * as vercelAi from "../src/index.js";
import { openai } from "./helpers.js";

const PROMPT = "Hi, my secret is 4711";
const integrations = () => (globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] }).AI_SDK_TELEMETRY_INTEGRATIONS;
const channel = tracingChannel("ai:telemetry");
const ask = async () => {
  replayNockRecording("chat-completion-basic.json");
  return (await generateText({ model: openai.chat("gpt-4o-mini"), prompt: PROMPT, maxRetries: 0 })).text;
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
  afterEach(() => vercelAi.autolog({ disable: true }));

  it("is idempotent, stops recording on disable and records again when called again", async () => {
    vercelAi.autolog(); // not awaited: the integration is registered before autolog returns
    await vercelAi.autolog();
    expect(integrations()).toHaveLength(1);
    await ask();
    expect(await storedTraces(store())).toHaveLength(1);

    await vercelAi.autolog({ disable: true });
    expect(integrations()).toHaveLength(0);
    const text = await ask();
    expect(text.length).toBeGreaterThan(0);
    expect(await storedTraces(store())).toHaveLength(1);

    await vercelAi.autolog();
    await ask();
    const traces = await storedTraces(store());
    expect(traces).toHaveLength(2);
    expect(spanTree(traces[1]!)[0]).toBe("invoke_agent gpt-4o-mini (CHAIN) OK");
  });

  it("resolves to the kit's status and disable undoes the channel subscription as well", async () => {
    const before = channel.start.hasSubscribers;
    const status = await vercelAi.autolog();
    expect(status).toMatchObject({ integration: "vercel-ai", enabled: true });
    expect(channel.start.hasSubscribers).toBe(true);
    expect(await vercelAi.autolog({ disable: true })).toEqual({
      integration: "vercel-ai",
      enabled: false,
      patched: [],
    });
    expect(channel.start.hasSubscribers).toBe(before);
    expect(integrations()).toHaveLength(0);
  });

  it("applies redact to every span of the call: inputs, outputs and chat messages", async () => {
    await vercelAi.autolog({ redact: scrub });
    const text = await ask();
    const [t] = await storedTraces(store());
    expect(t!.data.spans.length).toBeGreaterThan(1);
    for (const span of t!.data.spans) {
      const stored = JSON.stringify(span.toDict());
      expect(stored).not.toContain("4711");
      expect(stored).not.toContain(text);
    }
    const chat = t!.data.spans.find((s) => s.spanType === "CHAT_MODEL")!;
    expect(chat.getAttribute("mlflow.chat.messages")).toEqual([
      { role: "[scrubbed]", content: "[scrubbed]" },
      { role: "[scrubbed]", content: "[scrubbed]" },
    ]);
    expect(t!.info.tokenUsage?.total_tokens).toBeGreaterThan(0); // usage is structure, never redacted
  });

  it("drops a value whose redactor throws instead of recording it unredacted", async () => {
    await vercelAi.autolog({
      silent: true,
      redact: () => {
        throw new Error("redactor bug");
      },
    });
    await ask();
    const [t] = await storedTraces(store());
    const chat = t!.data.spans.find((s) => s.spanType === "CHAT_MODEL")!;
    expect(chat.inputs).toBe(REDACTION_FAILED);
    expect(JSON.stringify(t!.data.spans.map((s) => s.toDict()))).not.toContain("4711");
  });

  it("records structure and usage but no message content with recordContent: false", async () => {
    await vercelAi.autolog({ recordContent: false });
    const text = await ask();
    const [t] = await storedTraces(store());
    expect(spanTree(t!)).toEqual([
      "invoke_agent gpt-4o-mini (CHAIN) OK",
      "  step 1 (CHAIN) OK",
      "    chat gpt-4o-mini (CHAT_MODEL) OK",
    ]);
    const stored = JSON.stringify(t!.data.spans.map((s) => s.toDict()));
    expect(stored).not.toContain("4711");
    expect(stored).not.toContain(text);
    const chat = t!.data.spans.find((s) => s.spanType === "CHAT_MODEL")!;
    expect(chat.getAttribute("mlflow.chat.messages")).toEqual([{ role: "user" }, { role: "assistant" }]);
    expect(chat.getAttribute("mlflow.llm.model")).toBe("gpt-4o-mini-2024-07-18");
    expect(t!.info.tokenUsage?.total_tokens).toBeGreaterThan(0);
  });

  it("records nothing with logTraces: false, while the integration stays registered", async () => {
    await vercelAi.autolog({ logTraces: false });
    expect(integrations()).toHaveLength(1);
    expect((await ask()).length).toBeGreaterThan(0);
    expect(await storedTraces(store())).toEqual([]);
  });
});

describe("a loaded ai outside the tested versions", () => {
  it("is warned about once, and still traced", () => {
    const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");
    const app = mkdtempSync(join(tmpdir(), "tw-vercel-ai-"));
    const fakeAi = join(app, "node_modules", "ai");
    mkdirSync(fakeAi, { recursive: true });
    writeFileSync(
      join(fakeAi, "package.json"),
      JSON.stringify({ name: "ai", version: "8.0.0", type: "module", exports: "./index.js" }),
    );
    writeFileSync(join(fakeAi, "index.js"), "export function generateText() {}\n");
    mkdirSync(join(app, "node_modules", "@tracewright"), { recursive: true });
    symlinkSync(pkgDir, join(app, "node_modules", "@tracewright", "vercel-ai"), "dir");
    writeFileSync(
      join(app, "app.mjs"),
      `const warnings = [];
console.warn = (line) => warnings.push(String(line));
const vercelAi = await import("@tracewright/vercel-ai");
const first = await vercelAi.autolog();
await vercelAi.autolog();
console.log(JSON.stringify({ first, warnings }));`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ["app.mjs"], { cwd: app, encoding: "utf8" }));
    expect(out.first.patched).toContain("ai@8.0.0 (ESM)");
    expect(out.warnings).toEqual([
      "[tracewright/vercel-ai] ai 8.0.0 is outside the versions @tracewright/vercel-ai is tested with (>=7.0.0 <8.0.0); tracing it anyway",
    ]);
  });
});
