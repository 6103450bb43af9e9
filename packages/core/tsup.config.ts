import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

// one entry per audience: applications (.), store classes (./stores), integration authors (./instrumentation)
export default defineConfig(
  libraryBuild({
    entry: ["src/index.ts", "src/stores.ts", "src/instrumentation/index.ts"],
    // @internal names stay out of the published declarations
    dts: { compilerOptions: { stripInternal: true } },
  }),
);
