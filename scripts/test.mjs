// The whole test run: lint and format check, then typecheck and tests of every package (turbo),
// then one closing summary line. Exits non-zero when any step failed.
import { spawnSync } from "node:child_process";

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit", shell: false }).status ?? 1;

const failures = [];
if (run("node", ["scripts/clean-reports.mjs"]) !== 0) failures.push("clean-reports");
if (run("biome", ["check", "."]) !== 0) failures.push("biome check (lint/format)");
if (run("turbo", ["run", "typecheck", "test", "publint", "--continue"]) !== 0)
  failures.push("turbo typecheck/test/publint");
const summary = run("node", ["scripts/test-summary.mjs"]);
if (failures.length > 0) console.error(`failed steps: ${failures.join(", ")}`);
process.exit(summary !== 0 || failures.length > 0 ? 1 : 0);
