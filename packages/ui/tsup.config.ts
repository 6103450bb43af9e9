import { defineConfig, libraryBuild } from "../../tsup.shared.ts";

export default defineConfig([
  // the server and its API (Node)
  // clean: false, so that it cannot wipe dist/app while the app build writes it
  libraryBuild({ format: ["esm"], clean: false }),
  // the browser app, bundled with Preact into static files the server serves: no CDN, no runtime download
  {
    entry: { app: "src/app/main.tsx" },
    outDir: "dist/app",
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: true,
    clean: true,
    dts: false,
    noExternal: [/.*/],
    esbuildOptions(options) {
      options.jsx = "automatic";
      options.jsxImportSource = "preact";
    },
  },
]);
