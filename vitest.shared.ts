import { defineConfig } from "vitest/config";

/**
 * The vitest settings every package shares: tests under test/, a JSON report that
 * scripts/test-summary.mjs adds up into the closing line, and a generous timeout for tests that
 * start child processes.
 */
export function packageTestConfig(options: { include?: string[]; testTimeout?: number } = {}) {
  return defineConfig({
    test: {
      reporters: ["default", "json"],
      outputFile: { json: "vitest-report.json" },
      include: options.include ?? ["test/**/*.test.ts"],
      testTimeout: options.testTimeout ?? 30_000,
    },
  });
}
