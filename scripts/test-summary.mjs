// Prints one closing line counting the tests of every workspace package of pnpm-workspace.yaml
// ("N passed, N failed"), from the JSON report each package's vitest run writes. A package whose report is missing
// (its build or its run broke) counts as a failure. Exits non-zero unless everything passed.
// With TRACEWRIGHT_CI_RESULTS=<file> (set by .ci/run), the checks recorded there (the README's
// commands on a fresh clone) are counted too; a missing file then counts as one failure.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { workspacePackageDirs } from "./workspace-dirs.mjs";

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];

for (const dir of workspacePackageDirs()) {
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (!pkg.scripts?.test) continue;
  const report = join(dir, "vitest-report.json");
  if (!existsSync(report)) {
    problems.push(`${pkg.name}: no test report (its build or test run failed before reporting)`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) {
    problems.push(`${pkg.name}: ${r.numFailedTestSuites} test file(s) failed to load`);
    failed += r.numFailedTestSuites;
  }
}
const extra = process.env.TRACEWRIGHT_CI_RESULTS;
if (extra) {
  if (existsSync(extra)) {
    const r = JSON.parse(readFileSync(extra, "utf8"));
    passed += r.passed;
    failed += r.failed;
    if (r.failed > 0) problems.push(`${r.name}: ${r.failed} check(s) failed (see its FAIL lines above)`);
  } else {
    problems.push(`no results at ${extra} (the check did not run to the end)`);
    failed++;
  }
}
for (const p of problems) console.error(p);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
