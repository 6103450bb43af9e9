// CI check that the README's commands work on the first try, as a new user runs them: clone this
// checkout (its committed HEAD) into a temporary directory, then in README order run
// `./scripts/demo.sh` (twice: a second run must work too), then `pnpm ui` in the background, ask
// its JSON API for the demo's traces and stop it. Prints one PASS/FAIL line per step and exits
// non-zero when any failed. With TRACEWRIGHT_CI_RESULTS=<file> it also writes the counts there so
// the closing "tests: N passed, N failed" line of the test run includes them.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const STEP_TIMEOUT_MS = 10 * 60_000; // a cold install and build take well under a minute
const UI_START_TIMEOUT_MS = 3 * 60_000;
const results = [];
const record = (name, ok, detail = "") => {
  results.push({ name, ok });
  console.log(`readme-check: ${ok ? "PASS" : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
  return ok;
};

// a new user's environment: no tracking URI or collector, so the default embedded store is used
const env = { ...process.env, NO_COLOR: "1" };
for (const k of [
  "TRACEWRIGHT_TRACKING_URI",
  "MLFLOW_TRACKING_URI",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
]) {
  delete env[k];
}

/** Runs a command to completion, echoing its output (indented) and returning it. */
function runStep(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: STEP_TIMEOUT_MS, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  for (const line of out.split("\n")) if (line.trim()) console.log(`  | ${line}`);
  const status = r.error ? `${r.error.code ?? r.error.message}` : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  return { ok: !r.error && r.status === 0, status, stdout: r.stdout ?? "" };
}

/**
 * Starts `pnpm ui --port 0` in its own process group (port 0: any free port, so a viewer already
 * open on the default 5173 does not fail CI) and resolves with the URL it prints.
 */
function startUi(cwd) {
  const child = spawn("pnpm", ["--silent", "ui", "--port", "0"], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no URL printed within the time limit")), UI_START_TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk;
      const m = /Tracewright UI for \S+: (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pnpm ui exited early (${signal ?? `exit ${code}`})`));
    });
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 10_000);
    const r = await exited;
    clearTimeout(killer);
    return r;
  };
  return { url, stop, output: () => output };
}

async function getJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const body = await res.json();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

const work = mkdtempSync(join(tmpdir(), "tw-readme-check-"));
const clone = join(work, "tracewright");
let stopUi;
try {
  const cloned = runStep("git", ["clone", "--quiet", repo, clone], work);
  if (!record("git clone of this checkout into a fresh directory", cloned.ok, cloned.status)) throw new Error("stop");

  const traceIds = [];
  for (const run of ["first", "second"]) {
    const demo = runStep("bash", ["./scripts/demo.sh"], clone);
    const id = /trace (tr-[0-9a-f]+) stored/.exec(demo.stdout)?.[1];
    const tree = /✓ rag_pipeline \[CHAIN\]/.test(demo.stdout) && /└─ ✗ fact_check \[TOOL\]/.test(demo.stdout);
    if (id) traceIds.push(id);
    record(
      `./scripts/demo.sh (${run} run) traces the pipeline and shows its tree`,
      demo.ok && Boolean(id) && tree,
      `${demo.status}${id ? `, ${id}` : ", no trace id printed"}${tree ? "" : ", no trace tree printed"}`,
    );
  }
  const store = join(clone, ".tracewright", "traces.db");
  record("the demo wrote the store pnpm ui serves (./.tracewright/traces.db)", existsSync(store), store);

  const ui = startUi(clone);
  stopUi = ui.stop;
  let base;
  try {
    base = (await ui.url).replace(/\/$/, "");
    record("pnpm ui starts and prints its URL", true, base);
  } catch (e) {
    record("pnpm ui starts and prints its URL", false, `${e.message}; output: ${ui.output().slice(-2000)}`);
  }
  if (base) {
    try {
      const list = await getJson(`${base}/api/traces?experiment=quickstart`);
      const listed = new Set(list.traces.map((t) => t.traceId));
      const missing = traceIds.filter((id) => !listed.has(id));
      record(
        "pnpm ui lists the demo's traces (GET /api/traces?experiment=quickstart)",
        traceIds.length === 2 && missing.length === 0,
        `${list.traces.length} listed${missing.length ? `, missing ${missing.join(", ")}` : ""}`,
      );
    } catch (e) {
      record("pnpm ui lists the demo's traces (GET /api/traces?experiment=quickstart)", false, e.message);
    }
    const last = traceIds.at(-1);
    try {
      if (!last) throw new Error("the demo printed no trace id");
      const t = await getJson(`${base}/api/traces/${encodeURIComponent(last)}`);
      const spans = (t.spans ?? []).map((s) => s.name).sort();
      const want = ["fact_check", "generate_answer", "rag_pipeline", "retrieve_documents"];
      record(
        "pnpm ui serves the demo's trace with its spans (GET /api/traces/<id>)",
        t.info?.traceId === last && JSON.stringify(spans) === JSON.stringify(want),
        `spans: ${spans.join(", ") || "none"}`,
      );
    } catch (e) {
      record("pnpm ui serves the demo's trace with its spans (GET /api/traces/<id>)", false, e.message);
    }
  }
  const stopped = await ui.stop();
  stopUi = undefined;
  record("pnpm ui stops on SIGTERM", stopped.signal === "SIGTERM" || stopped.code === 0 || stopped.code === 143);
} catch (e) {
  if (e.message !== "stop") record("readme check ran to the end", false, e.stack);
} finally {
  await stopUi?.();
  rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}

const failed = results.filter((r) => !r.ok).length;
const passed = results.length - failed;
console.log(`readme-check: ${passed} passed, ${failed} failed (README commands on a fresh clone)`);
if (process.env.TRACEWRIGHT_CI_RESULTS) {
  writeFileSync(process.env.TRACEWRIGHT_CI_RESULTS, JSON.stringify({ name: "readme-check", passed, failed }));
}
process.exit(failed > 0 ? 1 : 0);
