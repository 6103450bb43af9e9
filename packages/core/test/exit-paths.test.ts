/**
 * Every way a process ends, in a child process: what was queued is kept, in its own experiment
 * (never stamped with the Default experiment "0" while the named one is still being looked up),
 * Tracewright's exit hooks never throw into the app, and the app's own exit and signal listeners
 * still run. Remote destinations are a loopback fake MLflow server behind a proxy that can hold
 * the experiment lookup or hang every request.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeMlflowServer } from "./fake-mlflow-server.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const distEntry = join(here, "..", "dist", "index.js");
const EXPERIMENT = "exit-paths";

/**
 * A loopback proxy in front of the fake server. `holdLookups` keeps experiment lookups unanswered
 * (the experiment is "still being resolved" for as long as the test wants); `hangAll` keeps every
 * request unanswered (a server that accepted the connection and went silent).
 */
class LookupProxy {
  holdLookups = false;
  hangAll = false;
  /** Every request is forwarded this late (a slow server: a delivery that outlasts the exit timeout). */
  delayMs = 0;
  private readonly held = new Set<() => void>();
  private server: Server | undefined;
  url = "";

  constructor(private readonly target: FakeMlflowServer) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const forward = () => {
        const upstream = request(
          `${this.target.url}${req.url ?? "/"}`,
          { method: req.method, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on("error", () => res.destroy());
        req.pipe(upstream);
      };
      if (this.hangAll || (this.holdLookups && (req.url ?? "").includes("/experiments/get-by-name"))) {
        req.resume();
        this.held.add(() => res.destroy());
        return;
      }
      if (this.delayMs > 0) setTimeout(forward, this.delayMs);
      else forward();
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Drops held requests (their clients see a reset). */
  dropHeld(): void {
    for (const drop of this.held) drop();
    this.held.clear();
  }

  async stop(): Promise<void> {
    this.dropHeld();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const server = new FakeMlflowServer();
const proxy = new LookupProxy(server);
beforeAll(async () => {
  await server.start();
  await proxy.start();
});
afterAll(async () => {
  await proxy.stop();
  await server.stop();
});
afterEach(() => {
  proxy.holdLookups = false;
  proxy.hangAll = false;
  proxy.delayMs = 0;
  proxy.dropHeld();
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `script` (ESM, with `tw` = the built package and `ready()` printing READY) in a child
 * process. `onReady` runs when the child prints READY (to send it a signal, say).
 */
function runChild(
  script: string,
  env: Record<string, string>,
  onReady?: (pid: number) => void,
  timeoutMs = 20_000,
): Promise<ChildResult> {
  const source = `
import * as tw from ${JSON.stringify(distEntry)};
import { writeFileSync } from "node:fs";
const ready = () => process.stdout.write("READY\\n");
/** Blocks the thread: signals and timers wait until it returns. */
const block = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
${script}`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], {
      env: { ...process.env, TRACEWRIGHT_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      const before = stdout;
      stdout += d;
      if (!before.includes("READY") && stdout.includes("READY")) onReady?.(child.pid as number);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function remoteEnv(): Record<string, string> {
  return {
    MLFLOW_TRACKING_URI: proxy.url,
    MLFLOW_EXPERIMENT_NAME: EXPERIMENT,
    TRACEWRIGHT_SPOOL_DIR: mkdtempSync(join(tmpdir(), "tw-exit-spool-")),
  };
}

/** Trace ids the child printed as `IDS <json>`. */
function printedIds(out: string): string[] {
  const line = out.split("\n").find((l) => l.startsWith("IDS "));
  if (!line) throw new Error(`child printed no ids:\n${out}`);
  return JSON.parse(line.slice(4)) as string[];
}

const experimentOf = (id: string): string | undefined =>
  (server.infos.get(id)?.trace_location as { mlflow_experiment?: { experiment_id?: string } } | undefined)
    ?.mlflow_experiment?.experiment_id;

/** Every StartTrace the server received: trace id and the experiment id it carried. */
function startTraceRequests(): Array<{ id: string; experimentId: string }> {
  return server.requests
    .filter((r) => r.method === "POST" && r.path === "/api/3.0/mlflow/traces")
    .map((r) => {
      const info = (JSON.parse(r.body) as { trace: { trace_info: Record<string, unknown> } }).trace.trace_info;
      const location = info.trace_location as { mlflow_experiment?: { experiment_id?: string } } | undefined;
      return { id: String(info.trace_id), experimentId: String(location?.mlflow_experiment?.experiment_id ?? "") };
    });
}

/**
 * Starts a fresh process on the same spool with the server healthy (what a restart does) and
 * waits until every id reached the server or the time is up; returns each id's experiment.
 */
async function deliverAfterRestart(env: Record<string, string>, ids: string[]): Promise<Array<string | undefined>> {
  let pid = 0;
  const restart = runChild(
    `tw.getTraceStore(); ready(); setInterval(() => {}, 1000);`,
    env,
    (p) => {
      pid = p;
    },
    30_000,
  );
  const start = Date.now();
  // until every trace's StartTrace arrived, or 20 s: under the whole run's load a delivery after the
  // restart once took over 8 s (the trace still spooled, not lost). Not until the server knows each
  // trace: its spans go first (OTLP ingest), which makes the trace known before its StartTrace, and
  // a restart stopped in between left that trace spooled (a CI flake: 19 of 20 offered, in 3 s)
  const offered = () => new Set(startTraceRequests().map((r) => r.id));
  while (Date.now() - start < 20_000 && !ids.every((id) => offered().has(id)))
    await new Promise((r) => setTimeout(r, 50));
  const result = ids.map(experimentOf);
  // its work is done (or its time is up): a restarted app would go on running; this one is stopped
  await new Promise((r) => setTimeout(r, pid === 0 ? 500 : 0));
  if (pid !== 0) process.kill(pid, "SIGKILL");
  await restart;
  return result;
}

/**
 * Trace ids still held in spool files under `dir` (any depth: the destination's subdirectory and its
 * quarantine). Tells, when an id never reached the server, a delivery slower than the wait from a
 * trace that was never saved.
 */
function spooledIds(dir: string): Set<string> {
  const ids = new Set<string>();
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile() || !f.name.endsWith(".json")) continue;
    try {
      const batch = JSON.parse(readFileSync(join(f.parentPath, f.name), "utf8")) as Array<{
        info?: { trace_id?: string };
      }>;
      for (const t of batch) if (t.info?.trace_id) ids.add(t.info.trace_id);
    } catch {
      // a file removed or half-written meanwhile: its traces are looked for elsewhere
    }
  }
  return ids;
}

/** The child's traces: N root spans, their ids printed. */
const makeTraces = (n: number) => `
const ids = [];
for (let i = 0; i < ${n}; i++) tw.trace(() => { ids.push(tw.getCurrentActiveSpan().traceId); return i; }, { name: "t" + i })();
process.stdout.write("IDS " + JSON.stringify(ids) + "\\n");`;

describe("exit paths while the experiment is still being looked up", () => {
  const cases: Array<{ name: string; script: string; signal?: NodeJS.Signals; expectSignal?: NodeJS.Signals }> = [
    { name: "process.exit() in the same tick", script: `${makeTraces(20)}\nprocess.exit(0);` },
    {
      name: "process.exit() one tick later",
      script: `${makeTraces(20)}\nsetTimeout(() => process.exit(0), 20);`,
    },
    {
      name: "SIGTERM",
      script: `${makeTraces(20)}\nready();\nblock(400);\nsetInterval(() => {}, 1000);`,
      signal: "SIGTERM",
      expectSignal: "SIGTERM",
    },
    {
      name: "SIGINT",
      script: `${makeTraces(20)}\nready();\nblock(400);\nsetInterval(() => {}, 1000);`,
      signal: "SIGINT",
      expectSignal: "SIGINT",
    },
    {
      name: "an uncaught exception",
      script: `${makeTraces(20)}\nsetTimeout(() => { throw new Error("boom"); }, 20);`,
    },
    {
      name: "an unhandled rejection",
      script: `${makeTraces(20)}\nsetTimeout(() => { Promise.reject(new Error("boom")); }, 20);`,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: every trace is kept and lands in its own experiment, never in "0"`, async () => {
      proxy.holdLookups = true;
      const env = remoteEnv();
      const result = await runChild(c.script, env, c.signal ? (pid) => process.kill(pid, c.signal) : undefined);
      if (c.expectSignal) expect(result.signal).toBe(c.expectSignal);
      const ids = printedIds(result.stdout);
      expect(ids).toHaveLength(20);
      // nothing reached the server under the Default experiment while the lookup was held
      expect(ids.filter((id) => experimentOf(id) === "0")).toEqual([]);
      proxy.holdLookups = false;
      proxy.dropHeld();
      const experiments = await deliverAfterRestart(env, ids);
      // every trace was kept (a restart offers each to the server) and none under the Default experiment
      const offered = new Map(startTraceRequests().map((r) => [r.id, r.experimentId]));
      const spooled = spooledIds(env.TRACEWRIGHT_SPOOL_DIR as string);
      expect(
        ids
          .filter((id) => !offered.has(id))
          .map(
            (id) => `${id}: ${spooled.has(id) ? "still spooled (delivered too slowly)" : "in no spool file (lost)"}`,
          ),
      ).toEqual([]);
      expect(ids.filter((id) => offered.get(id) === "0")).toEqual([]);
      // and each is stored in its own experiment
      const expected = server.experiments.get(EXPERIMENT) ?? "<experiment never created>";
      expect(experiments).toEqual(ids.map(() => expected));
    }, 60_000);
  }
});

/**
 * Before core loads: the process-wide slot of the spools as an older copy of core left it (its
 * flag of the `exit` listener set, none for the signal path), as when two versions share a process.
 */
const OLDER_COPY_SPOOL_SLOT = `--import=data:text/javascript,${encodeURIComponent(
  `Object.defineProperty(globalThis, Symbol.for("tracewright.core.process-state.v2"), { value: Object.assign(Object.create(null), { "spool-live": { spools: new Set(), hooked: true } }) });`,
)}`;

describe("a remote destination's spool at a signal", () => {
  const cases = [
    { signal: "SIGTERM", olderCopy: false },
    { signal: "SIGINT", olderCopy: false },
    { signal: "SIGTERM", olderCopy: true },
  ] as const;
  for (const { signal, olderCopy } of cases) {
    it(`${signal} while the spool still writes a batch in the background keeps that batch${olderCopy ? ", an older copy of core having made the spools' slot" : ""}`, async () => {
      const env: Record<string, string> = {
        ...remoteEnv(),
        ...(olderCopy ? { NODE_OPTIONS: OLDER_COPY_SPOOL_SLOT } : {}),
      };
      // the thread pool kept busy, so that the spool's background write of the batch the export
      // queue handed it is still waiting when the signal comes (no "exit" event follows a signal)
      const script = `${makeTraces(20)}
const { pbkdf2 } = await import("node:crypto");
for (let i = 0; i < 4; i++) pbkdf2("x", "y", 5e7, 32, "sha256", () => {});
await new Promise((r) => setTimeout(r, 200));
ready();
block(400);
setInterval(() => {}, 1000);`;
      const result = await runChild(script, { ...env, UV_THREADPOOL_SIZE: "4" }, (pid) => process.kill(pid, signal));
      expect(result.signal).toBe(signal);
      const ids = printedIds(result.stdout);
      expect(ids).toHaveLength(20);
      const offered = new Set(startTraceRequests().map((r) => r.id));
      const spooled = spooledIds(env.TRACEWRIGHT_SPOOL_DIR as string);
      expect(ids.filter((id) => !offered.has(id) && !spooled.has(id))).toEqual([]);
    }, 60_000);
  }
});

describe("the embedded store, with a named experiment", () => {
  it("process.exit() in the same tick as the experiment's lookup files the traces in that experiment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-exit-sqlite-"));
    const path = join(dir, "traces.db");
    const result = await runChild(`${makeTraces(5)}\nprocess.exit(0);`, {
      TRACEWRIGHT_TRACKING_URI: `sqlite:///${path}`,
      MLFLOW_EXPERIMENT_NAME: EXPERIMENT,
    });
    const ids = printedIds(result.stdout);
    const db = new DatabaseSync(path);
    try {
      const rows = db
        .prepare(
          "SELECT t.trace_id AS id, e.name AS name FROM traces t LEFT JOIN experiments e ON e.experiment_id = t.experiment_id",
        )
        .all() as Array<{ id: string; name: string | null }>;
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(rows.map((r) => r.name)).toEqual(ids.map(() => EXPERIMENT));
    } finally {
      db.close();
    }
  });
});

describe("SIGINT (Ctrl-C)", () => {
  const sqliteEnv = () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-sigint-"));
    return { path: join(dir, "traces.db"), env: { TRACEWRIGHT_TRACKING_URI: `sqlite:///${join(dir, "traces.db")}` } };
  };
  const count = (path: string) => {
    const db = new DatabaseSync(path);
    try {
      return Number((db.prepare("SELECT count(*) AS n FROM traces").get() as { n: number }).n);
    } finally {
      db.close();
    }
  };

  it("keeps every queued trace in the embedded store, then ends the process by SIGINT as before", async () => {
    const { path, env } = sqliteEnv();
    const result = await runChild(
      `${makeTraces(50)}\nready();\nblock(400);\nsetInterval(() => {}, 1000);`,
      env,
      (pid) => process.kill(pid, "SIGINT"),
    );
    expect(result.signal).toBe("SIGINT");
    expect(count(path)).toBe(50);
  });

  it("leaves the app's own SIGINT listener in charge: no kill of ours, the app decides", async () => {
    const { path, env } = sqliteEnv();
    const result = await runChild(
      `process.on("SIGINT", () => { process.stdout.write("APP SIGINT\\n"); setTimeout(() => process.exit(42), 50); });
${makeTraces(50)}\nready();\nblock(400);\nsetInterval(() => {}, 1000);`,
      env,
      (pid) => process.kill(pid, "SIGINT"),
    );
    expect(result.stdout).toContain("APP SIGINT");
    expect(result.code).toBe(42);
    expect(count(path)).toBe(50);
  });
});

describe("a store that cannot open, at exit", () => {
  const broken: Array<{ name: string; uri: () => string }> = [
    {
      name: "a corrupt database",
      uri: () => {
        const file = join(mkdtempSync(join(tmpdir(), "tw-corrupt-")), "traces.db");
        writeFileSync(file, "this is not a sqlite database at all ".repeat(200));
        return `sqlite:///${file}`;
      },
    },
    {
      name: "a database from a newer schema",
      uri: () => {
        const file = join(mkdtempSync(join(tmpdir(), "tw-newer-")), "traces.db");
        const db = new DatabaseSync(file);
        db.exec("PRAGMA user_version = 9999");
        db.close();
        return `sqlite:///${file}`;
      },
    },
    {
      name: "a read-only location",
      uri: () => {
        const file = join(mkdtempSync(join(tmpdir(), "tw-ro-")), "file-not-dir");
        writeFileSync(file, "");
        return `sqlite:///${join(file, "traces.db")}`;
      },
    },
    { name: "a bad URI", uri: () => "nosuchscheme://x" },
  ];
  for (const b of broken) {
    it(`${b.name}: process.exit() logs, never throws, and the app's later exit listeners run`, async () => {
      const result = await runChild(
        `${makeTraces(3)}
process.on("exit", (code) => process.stdout.write("APP EXIT LISTENER " + code + "\\n"));
process.exit(0);`,
        { TRACEWRIGHT_TRACKING_URI: b.uri() },
      );
      expect(result.stdout).toContain("APP EXIT LISTENER 0");
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
      expect(result.stderr).toMatch(/\[tracewright\]/); // but a log line saying what happened
    });
  }
});

describe("natural exit", () => {
  it("exits promptly when the server hangs, the traces being safe in the spool; a restart delivers them", async () => {
    proxy.hangAll = true;
    const env = { ...remoteEnv(), TRACEWRIGHT_EXIT_TIMEOUT_MS: "1000" };
    delete (env as Record<string, string | undefined>).MLFLOW_EXPERIMENT_NAME;
    // the request timeout is 30 s; killed after 10 s, the child's output still says what it did
    const result = await runChild(`${makeTraces(5)}`, env, undefined, 10_000).catch((e: Error) => {
      throw new Error(`the process did not exit within 10 s of its last trace: ${e.message.slice(0, 200)}`);
    });
    const ids = printedIds(result.stdout);
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(5000);
    proxy.hangAll = false;
    proxy.dropHeld();
    const experiments = await deliverAfterRestart(env, ids);
    expect(experiments).toEqual(ids.map(() => "0"));
  });

  // a flush awaited on its own: the delivery it waits for runs on unref'd sockets, which alone
  // let the event loop empty; the process then ended after the exit timeout, the caller's await
  // never resumed (code 13 at top level, a silent 0 in an async function)
  for (const c of [
    { name: "at a module's top level", script: (body: string) => body },
    { name: "in an async function", script: (body: string) => `(async () => { ${body} })();` },
  ]) {
    it(`await flushTraces() ${c.name} outlasting the exit timeout resumes the program once delivered`, async () => {
      proxy.delayMs = 150;
      const env = { ...remoteEnv(), TRACEWRIGHT_EXIT_TIMEOUT_MS: "200" };
      const result = await runChild(
        c.script(`${makeTraces(5)}
          await tw.flushTraces();
          process.stdout.write("FLUSHED " + JSON.stringify(tw.getExportStats().sent) + "\\n");`),
        env,
      );
      // about 10 requests of 150 ms each: the flush outlasted the 200 ms exit timeout several times
      expect(result.stdout, `the child ended with ${result.code}: ${result.stderr}`).toContain("FLUSHED");
      expect(result.code).toBe(0);
      // resumed once the delivery was over, not merely at some point
      expect(result.stdout).toContain("FLUSHED 5\n");
      const ids = printedIds(result.stdout);
      expect(ids).toHaveLength(5);
      for (const id of ids) expect(server.infos.has(id)).toBe(true);
    });
  }

  it("still delivers before exiting when the server answers", async () => {
    const env = remoteEnv();
    const result = await runChild(`${makeTraces(5)}`, env);
    const ids = printedIds(result.stdout);
    expect(result.code).toBe(0);
    const expected = server.experiments.get(EXPERIMENT);
    expect(ids.map(experimentOf)).toEqual(ids.map(() => expected));
  });
});
