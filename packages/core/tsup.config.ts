import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig(libraryBuild({ entry: ["src/index.ts", "src/instrumentation/index.ts"] }));
