import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig(
  libraryBuild({ entry: ["src/cli.ts", "src/index.ts"], format: ["esm"], dts: { entry: "src/index.ts" } }),
);
