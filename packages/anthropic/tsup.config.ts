import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig([
  libraryBuild(),
  // the `--import @tracewright/anthropic/register` entry: ESM only (it uses module.register)
  libraryBuild({ entry: ["src/register.ts"], format: ["esm"], dts: false, clean: false }),
]);
