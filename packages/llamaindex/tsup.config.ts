import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig([
  libraryBuild(),
  // the `--import @tracewright/llamaindex/register` entry: ESM only (top-level await)
  libraryBuild({ entry: ["src/register.ts"], format: ["esm"], dts: false, clean: false }),
]);
