/**
 * The layers of core, read from the import specifiers of its sources: tracing/ sits on the
 * configuration, which sits on the stores; neither reaches up to the API files.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const src = join(import.meta.dirname, "../src");

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/g)) found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]!);
  return found;
}

function importsOfFolder(folder: string): Array<{ file: string; specifier: string }> {
  const dir = join(src, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => specifiersOf(join(dir, f)).map((specifier) => ({ file: `${folder}/${f}`, specifier })));
}

/** The API layer: the entries and the client, above configuration and tracing. */
const API_FILES = ["../index.js", "../client.js", "../stores.js", "../config.js"];

describe("core's layers", () => {
  it("finds the imports it checks (the scan is not empty)", () => {
    const tracing = importsOfFolder("tracing");
    expect(tracing.map((i) => i.specifier)).toContain("../config/experiment.js");
    expect(tracing.map((i) => i.specifier)).toContain("@opentelemetry/api");
    expect(specifiersOf(join(src, "tracing/export-queue.ts"))).toContain("../config/destination.js");
  });

  it("tracing/ imports nothing from the API files or the old config.ts", () => {
    const upward = importsOfFolder("tracing").filter(
      (i) => API_FILES.includes(i.specifier) || i.specifier.startsWith("../instrumentation/"),
    );
    expect(upward).toEqual([]);
    expect(existsSync(join(src, "config.ts"))).toBe(false);
  });

  it("config/ imports only stores, entities, internals, errors and constants: never tracing/ or the API files", () => {
    const allowed = /^(\.\/[a-z-]+\.js|\.\.\/(store|entities|internal)\/.+\.js|\.\.\/(errors|constants)\.js)$/;
    const imports = importsOfFolder("config");
    expect(imports.length).toBeGreaterThan(5);
    expect(imports.filter((i) => !allowed.test(i.specifier))).toEqual([]);
  });

  it("config/ has one file per concern, and destination.ts does not import experiment.ts", () => {
    expect(readdirSync(join(src, "config")).sort()).toEqual(["destination.ts", "experiment.ts", "run.ts", "state.ts"]);
    expect(specifiersOf(join(src, "config/destination.ts"))).not.toContain("./experiment.js");
    expect(specifiersOf(join(src, "config/run.ts"))).toEqual(["./state.js"]);
  });

  // (store/trace-merge.ts and store/mlflow/mlflow-store.ts still borrow two pure helpers from tracing/)
  it("store/ imports nothing from config/ or the API files", () => {
    const folders = ["store", "store/delivery", "store/otlp", "store/mlflow", "store/sqlite", "store/filter"];
    const up = folders
      .flatMap((f) => importsOfFolder(f))
      .filter((i) => /(^|\/)(config|instrumentation)\/|\/(index|client|stores|config)\.js$/.test(i.specifier));
    expect(up).toEqual([]);
  });
});
