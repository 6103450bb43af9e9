import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node22",
    platform: "node",
  },
  {
    // the `--import @tracewright/openai/register` entry: ESM only (it uses module.register)
    entry: ["src/register.ts"],
    format: ["esm"],
    sourcemap: true,
    target: "node22",
    platform: "node",
  },
]);
