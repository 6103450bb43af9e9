import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig([
  libraryBuild(),
  // the `--import @tracewright/google-genai/register` entry: ESM only (it uses module.register)
  libraryBuild({ entry: ["src/register.ts"], format: ["esm"], dts: false, clean: false }),
]);
