import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["default", "json"],
    outputFile: { json: "vitest-report.json" },
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
