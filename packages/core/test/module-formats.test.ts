import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SqliteTraceStore } from "../src/index.js";

const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-fmt-")), "traces.db");

function node(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, args, { cwd: pkgDir, env: { ...process.env, ...env }, encoding: "utf8" });
}

const APP = (load: string) => `
${load}
const add = tw.trace(function add(a, b) { return a + b; }, { spanType: "TOOL" });
(async () => {
  add(1, 2);
  await tw.flushTraces();
  const t = await tw.getTrace(tw.getLastActiveTraceId());
  console.log(JSON.stringify({ name: t.data.spans[0].name, type: t.data.spans[0].spanType, inputs: t.data.spans[0].inputs, exp: t.info.experimentId }));
})();`;

describe("package entry points", () => {
  it("works from CommonJS via require()", () => {
    const out = node(["-e", APP('const tw = require("@tracewright/core");')], {
      TRACEWRIGHT_TRACKING_URI: `sqlite://${tempDb()}`,
    });
    expect(JSON.parse(out)).toEqual({ name: "add", type: "TOOL", inputs: { a: 1, b: 2 }, exp: "0" });
  });

  it("works from ESM via import", () => {
    const out = node(["--input-type=module", "-e", APP('import * as tw from "@tracewright/core";')], {
      TRACEWRIGHT_TRACKING_URI: `sqlite://${tempDb()}`,
    });
    expect(JSON.parse(out).inputs).toEqual({ a: 1, b: 2 });
  });

  it("logs to the experiment named by MLFLOW_EXPERIMENT_NAME, creating it", () => {
    const db = tempDb();
    const out = node(["-e", APP('const tw = require("@tracewright/core");')], {
      MLFLOW_TRACKING_URI: `sqlite://${db}`,
      MLFLOW_EXPERIMENT_NAME: "from-env",
    });
    const store = new SqliteTraceStore(db);
    const exp = store.getExperimentByName("from-env");
    store.close();
    expect(exp).not.toBeNull();
    expect(JSON.parse(out).exp).toBe(exp!.experimentId);
  });

  it("logs to the experiment id in MLFLOW_EXPERIMENT_ID", () => {
    const out = node(["-e", APP('const tw = require("@tracewright/core");')], {
      TRACEWRIGHT_TRACKING_URI: "memory:",
      MLFLOW_EXPERIMENT_ID: "42",
    });
    expect(JSON.parse(out).exp).toBe("42");
  });
});
