import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig(libraryBuild({ format: ["esm"], entry: ["src/index.ts", "src/vitest.ts"] }));
