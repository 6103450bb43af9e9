import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig(libraryBuild());
