import { defineConfig, type Options } from "tsup";

/** ESM + CommonJS + type declarations for Node >= 22: how every published package builds. */
export const libraryBuild = (overrides: Options = {}): Options => ({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node22",
  platform: "node",
  ...overrides,
});

export { defineConfig };
