import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Feedback, SqliteTraceStore, setTraceStore, TracewrightClient, trace, withSpan } from "@tracewright/core";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/index.js";

const cliBin = join(fileURLToPath(new URL("..", import.meta.url)), "dist", "cli.js");

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let uri = "";
let failingTraceId = "";

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), "tw-cli-")), "traces.db");
  uri = `sqlite://${path}`;
  const store = new SqliteTraceStore(path);
  setTraceStore(store);
  const exp = await store.createExperiment("cli-demo");
  const client = new TracewrightClient();
  for (let i = 0; i < 3; i++) {
    const root = client.startTrace(`request-${i}`, {
      tags: { env: i === 0 ? "prod" : "dev" },
      experimentId: exp.experimentId,
    });
    client.endTrace({ traceId: root.traceId, outputs: { i } });
    await new Promise((r) => setTimeout(r, 3)); // distinct start times give a stable order
  }
  const failing = trace(
    function agent() {
      withSpan({ name: "llm", spanType: "CHAT_MODEL" }, (span) => {
        span.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 10, output_tokens: 5, total_tokens: 15 });
      });
      trace(
        () => {
          throw new RangeError("tool exploded");
        },
        { name: "search_tool", spanType: "TOOL" },
      )();
    },
    { spanType: "AGENT" },
  );
  expect(() => failing()).toThrow("tool exploded");
  const page = await client.searchTraces({ experimentIds: ["0"] });
  failingTraceId = page.traces[0]!.info.traceId;
  await store.logAssessment(new Feedback({ traceId: failingTraceId, name: "correct", value: false }));
  setTraceStore(null);
});

describe("tracewright CLI", () => {
  it("lists traces of all experiments as a table", async () => {
    const r = await run("traces", "list", "--tracking-uri", uri);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^TRACE ID\s+NAME\s+STATE\s+START\s+DURATION\s+TOKENS\s+TAGS$/);
    expect(lines).toHaveLength(2 + 4);
    expect(r.out).toMatch(/agent\s+ERROR\s+.*\s15\b/);
    expect(r.out).toContain("env=prod");
  });

  it("filters, limits and selects an experiment by name", async () => {
    const r = await run(
      "traces",
      "list",
      "-e",
      "cli-demo",
      "--filter",
      "tags.env = 'dev'",
      "--max",
      "1",
      "--tracking-uri",
      uri,
    );
    expect(r.code).toBe(0);
    expect(r.out.split("\n")).toHaveLength(3 + 1);
    expect(r.out).toContain("request-2");
    expect(r.out).toContain("more traces exist");
  });

  it("prints JSON lines with --json", async () => {
    const r = await run("traces", "list", "--json", "-e", "cli-demo", "--tracking-uri", uri);
    const infos = r.out.split("\n").map((l) => JSON.parse(l));
    expect(infos.map((i) => i.tags["mlflow.traceName"])).toEqual(["request-2", "request-1", "request-0"]);
  });

  it("shows a trace tree with types, status, tokens, errors and assessments", async () => {
    const r = await run("traces", "show", failingTraceId, "--tracking-uri", uri);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^✗ agent \[AGENT\]/m);
    expect(r.out).toMatch(/├─ ✓ llm \[CHAT_MODEL\] .* tokens in 10 · out 5 · total 15/);
    expect(r.out).toMatch(/└─ ✗ search_tool \[TOOL\]/);
    expect(r.out).toContain("RangeError: tool exploded");
    expect(r.out).toContain("feedback correct = false");
    expect(r.out).not.toContain("\u001b[");
  });

  it("shows the trace as MLflow JSON", async () => {
    const r = await run("traces", "show", failingTraceId, "--json", "--tracking-uri", uri);
    expect(JSON.parse(r.out).info.trace_id).toBe(failingTraceId);
  });

  it("fails clearly for unknown ids, bad filters, unknown experiments and a missing database", async () => {
    const unknown = await run("traces", "show", "tr-nope", "--tracking-uri", uri);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/Trace "tr-nope" not found/);
    const badFilter = await run("traces", "list", "--filter", "tags.env = prod", "--tracking-uri", uri);
    expect(badFilter.code).toBe(1);
    expect(badFilter.err).toMatch(/position 11 \(near "prod"\)/);
    const badExp = await run("traces", "list", "-e", "nope", "--tracking-uri", uri);
    expect(badExp.code).toBe(1);
    expect(badExp.err).toMatch(/Unknown experiment "nope"/);
    const missing = await run("traces", "list", "--tracking-uri", "sqlite:///nonexistent/dir/traces.db");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/No trace database at \/nonexistent\/dir\/traces.db/);
  });

  it("rejects unknown commands and options with usage errors", async () => {
    expect((await run("traces", "frobnicate")).code).toBe(2);
    const badOption = await run("traces", "list", "--nope", "--tracking-uri", uri);
    expect(badOption.code).toBe(2);
    expect(badOption.err).toMatch(/Unknown option '--nope'/);
    expect((await run("traces", "list", "--max", "zero", "--tracking-uri", uri)).code).toBe(2);
    expect((await run("traces", "show", "--tracking-uri", uri)).code).toBe(2);
  });

  it.each([["traces", "list"], ["traces", "show"], ["traces", "delete"], ["experiments", "list"], []])(
    "prints help for %j",
    async (...cmd) => {
      const r = await run(...(cmd as string[]), "--help");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: tracewright/);
    },
  );

  it("lists experiments with trace counts", async () => {
    const r = await run("experiments", "list", "--tracking-uri", uri);
    expect(r.out).toMatch(/0\s+Default\s+1/);
    expect(r.out).toMatch(/\d+\s+cli-demo\s+3/);
  });

  it("deletes traces by id and by age", async () => {
    const ids = (await run("traces", "list", "--json", "-e", "cli-demo", "--tracking-uri", uri)).out
      .split("\n")
      .map((l) => JSON.parse(l).trace_id as string);
    const byId = await run("traces", "delete", "-e", "cli-demo", "--ids", ids[0]!, "--tracking-uri", uri);
    expect(byId.out).toBe("Deleted 1 trace.");
    const byAge = await run(
      "traces",
      "delete",
      "-e",
      "cli-demo",
      "--older-than",
      String(Date.now()),
      "--max",
      "5",
      "--tracking-uri",
      uri,
    );
    expect(byAge.out).toBe("Deleted 2 traces.");
    expect((await run("traces", "delete", "-e", "cli-demo", "--tracking-uri", uri)).code).toBe(2);
  });

  it("runs as an executable and exits non-zero on errors", () => {
    const ok = execFileSync(process.execPath, [cliBin, "--help"], { encoding: "utf8" });
    expect(ok).toContain("Commands:");
    let status = 0;
    try {
      execFileSync(process.execPath, [cliBin, "traces", "show", "tr-x", "--tracking-uri", uri], { stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(1);
  });

  it("serves the trace viewer with `tracewright ui` until stopped, on 127.0.0.1 and a port it prints", async () => {
    const child = spawn(process.execPath, [cliBin, "ui", "--port", "0", "--tracking-uri", uri], { stdio: "pipe" });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (match) resolve(match[1] as string);
        });
        child.on("exit", (code) => reject(new Error(`tracewright ui exited with ${code}: ${out}`)));
      });
      const page = await fetch(url);
      expect(await page.text()).toContain("/assets/app.js");
      const list = (await (await fetch(`${url}api/traces?pageSize=1`)).json()) as {
        traces: Array<{ traceId: string }>;
      };
      expect(list.traces).toHaveLength(1);
      expect(list.traces[0]!.traceId).toMatch(/^tr-/);
      const bad = await fetch(`${url}api/traces?filter=${encodeURIComponent("tags.env ~ 'x'")}`);
      expect(bad.status).toBe(400);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    }
  });

  it("rejects a bad --port as a usage error and lists ui in the help", async () => {
    const bad = await run("ui", "--port", "http", "--tracking-uri", uri);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--port expects a port number");
    expect((await run("--help")).out).toContain("ui                     open the trace viewer");
    expect((await run("ui", "--help")).out).toContain("--host <address>");
  });
});
