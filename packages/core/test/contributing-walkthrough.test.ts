import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const contributing = readFileSync(join(pkgDir, "..", "..", "CONTRIBUTING.md"), "utf8");

/** The toy integration exactly as CONTRIBUTING.md shows it. */
const TOY_INTEGRATION = /```js toy-integration\n([\s\S]*?)```/.exec(contributing)?.[1];

/** A tiny library in the shape the walk-through assumes, as a CommonJS package. */
function writeToyLibrary(dir: string, version: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "toy-llm", version, main: "index.js" }));
  writeFileSync(
    join(dir, "index.js"),
    `class Client { async complete(prompt) { return { text: "echo: " + prompt, usage: { input: 3, output: 2 } }; } }
module.exports = { Client };`,
  );
}

/** Exercises the uniform behaviour every integration gets from the kit, through the toy. */
const APP = `
import { createRequire } from "node:module";
import * as tw from "@tracewright/core";
const require = createRequire(import.meta.url);
const warnings = [];
console.warn = (line) => warnings.push(String(line));
const { Client } = require("toy-llm"); // loaded before autolog: the kit finds the cached copy
const originalComplete = Client.prototype.complete;
const { autolog } = await import("./toy-integration.mjs");
const store = new tw.InMemoryTraceStore();
tw.setTraceStore(store);
const client = new Client();
const first = await autolog();
await autolog(); // idempotent: one span per call, not two
await tw.trace(async function ask() { return (await client.complete("hello")).text; }, { spanType: "CHAIN" })();
await autolog({ redact: (value, { target }) => (target === "inputs" ? { prompt: "[redacted]" } : value) });
await client.complete("my secret prompt");
await autolog({ redact: () => { throw new Error("redactor bug"); } });
await client.complete("dropped 1");
await client.complete("dropped 2");
await autolog({ recordContent: false });
await client.complete("not recorded");
await autolog();
tw.setRedactor((value, { target }) => (target === "outputs" ? "[hidden output]" : value));
await client.complete("global");
tw.trace(function own() { return "mine"; })();
tw.setRedactor(null);
await autolog({ disable: true });
const restored = Client.prototype.complete === originalComplete;
await client.complete("after disable");
await autolog();
const V2 = require("./vendor/node_modules/toy-llm"); // a copy outside the tested range, loaded later
await new V2.Client().complete("v2");
await tw.flushTraces();
const spans = store.allTraces().map((t) => t.data.spans.map((s) => ({
  name: s.name, parent: t.data.spans.find((p) => p.spanId === s.parentId)?.name ?? null,
  inputs: s.inputs ?? null, outputs: s.outputs ?? null,
  messages: s.getAttribute("mlflow.chat.tokenUsage") ? "usage" : null,
})));
console.log(JSON.stringify({ first, spans, restored, warnings, tokens: store.allTraces()[0].info.tokenUsage }));
`;

let appDir: string;
beforeAll(() => {
  appDir = mkdtempSync(join(tmpdir(), "tw-toy-"));
  writeToyLibrary(join(appDir, "node_modules", "toy-llm"), "1.2.0");
  writeToyLibrary(join(appDir, "vendor", "node_modules", "toy-llm"), "2.0.0");
  mkdirSync(join(appDir, "node_modules", "@tracewright"), { recursive: true });
  symlinkSync(pkgDir, join(appDir, "node_modules", "@tracewright", "core"), "dir");
  writeFileSync(join(appDir, "toy-integration.mjs"), TOY_INTEGRATION ?? "");
  writeFileSync(join(appDir, "app.mjs"), APP);
});

describe("CONTRIBUTING.md's toy integration, pasted as is", () => {
  it("is in CONTRIBUTING.md", () => {
    expect(TOY_INTEGRATION).toContain("defineIntegration");
  });

  it("gets the kit's uniform autolog: idempotent, redaction everywhere, disable restores, a version-miss warning", () => {
    const out = execFileSync(process.execPath, ["app.mjs"], { cwd: appDir, encoding: "utf8" });
    const result = JSON.parse(out);
    expect(result.first).toMatchObject({ integration: "toy", enabled: true });
    expect(result.first.patched).toContain("toy-llm@1.2.0 (CommonJS)");
    const [ask, redacted, dropped1, dropped2, noContent, global, own, v2, ...rest] = result.spans;
    expect(rest).toEqual([]); // nothing recorded after disable
    expect(ask).toEqual([
      { name: "ask", parent: null, inputs: {}, outputs: "echo: hello", messages: null },
      {
        name: "toy.complete",
        parent: "ask",
        inputs: { prompt: "hello" },
        outputs: { text: "echo: hello", usage: { input: 3, output: 2 } },
        messages: "usage",
      },
    ]);
    expect(result.tokens).toEqual({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
    expect(redacted[0].inputs).toEqual({ prompt: "[redacted]" });
    // a throwing redactor drops the value, never records it unredacted, and is logged once
    for (const [span] of [dropped1, dropped2]) {
      expect(span.inputs).toBe("<dropped: redactor failed>");
      expect(span.outputs).toBe("<dropped: redactor failed>");
    }
    expect(result.warnings.filter((w: string) => w.includes("a redactor threw")).length).toBe(2); // inputs, outputs
    expect(noContent[0]).toMatchObject({ inputs: null, outputs: null, messages: "usage" });
    // the process-wide redactor applies to the integration's spans and to the app's own
    expect(global[0].outputs).toBe("[hidden output]");
    expect(own[0].outputs).toBe("[hidden output]");
    expect(result.restored).toBe(true);
    expect(v2[0].name).toBe("toy.complete");
    expect(result.warnings.filter((w: string) => w.includes("toy-llm 2.0.0 is outside the versions"))).toHaveLength(1);
  });
});
