/**
 * The kit hooks a subpath module of a package (`@acme/sdk/client/index.js`, exported through a
 * `"./*"` pattern to `dist/cjs/*` and `dist/esm/*`, as @modelcontextprotocol/sdk does): loaded
 * before or after autolog, required by its specifier or by the package's own relative require,
 * imported as ESM, with the version read from the package's package.json. Each case runs in a
 * child process against a package written to a temporary app directory. Like the SDK, the package
 * exports no root entry (`.`), so a require hook cannot tell its files from its main one; and it is
 * linked into the app's node_modules from a store directory, as pnpm installs it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  commonJsModuleName,
  exportsTarget,
  resolveEsm,
  subpathSpecifierOfFile,
} from "../src/instrumentation/module-copies.js";

const pkgDir = join(fileURLToPath(new URL(".", import.meta.url)), "..");

const SDK_PACKAGE = {
  name: "@acme/sdk",
  version: "1.4.0",
  type: "module",
  exports: {
    "./client": { import: "./dist/esm/client/index.js", require: "./dist/cjs/client/index.js" },
    "./*": { types: "./dist/esm/*.d.ts", import: "./dist/esm/*", require: "./dist/cjs/*" },
  },
};

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** The package: a client module, and a server module that reaches the client by a relative path. */
function writeSdk(dir: string): void {
  write(join(dir, "package.json"), JSON.stringify(SDK_PACKAGE));
  write(join(dir, "dist/cjs/package.json"), JSON.stringify({ type: "commonjs" }));
  write(join(dir, "dist/cjs/other.js"), "exports.other = true;");
  write(join(dir, "dist/cjs/client/index.js"), `class Client { call() { return "cjs"; } }\nexports.Client = Client;`);
  write(
    join(dir, "dist/cjs/server/mcp.js"),
    `const { Client } = require("../client/index.js");\nexports.make = () => new Client();`,
  );
  write(join(dir, "dist/esm/other.js"), "export const other = true;");
  write(join(dir, "dist/esm/client/index.js"), `export class Client { call() { return "esm"; } }`);
  write(
    join(dir, "dist/esm/server/mcp.js"),
    `import { Client } from "../client/index.js";\nexport const make = () => new Client();`,
  );
}

/** A toy integration hooking the subpath module; it records each patch it is asked for. */
function toyIntegration(importLine: string, versions: string): string {
  return `${importLine}
globalThis.__patches ??= [];
const ORIGINAL = Symbol.for("tracewright.subpath-toy.original");
export const toy = defineIntegration({
  name: "subpath-toy",
  modules: [{ name: "@acme/sdk/client/index.js", versions: ${JSON.stringify(versions)} }],
  patch(mod, context) {
    const proto = mod?.Client?.prototype;
    if (typeof proto?.call !== "function") return false;
    globalThis.__patches.push({ module: context.module, version: context.version });
    if (proto.call[ORIGINAL]) return true;
    const original = proto.call;
    const call = function call() { return "traced:" + original.call(this); };
    call[ORIGINAL] = original;
    proto.call = call;
    return true;
  },
});
export const autolog = toy.autolog;
`;
}

let appDir = "";
beforeAll(() => {
  appDir = mkdtempSync(join(tmpdir(), "tw-subpath-"));
  // installed as pnpm does: the package in a store directory, linked into the app's node_modules
  const stored = join(appDir, ".pnpm", "@acme+sdk@1.4.0", "node_modules", "@acme", "sdk");
  writeSdk(stored);
  mkdirSync(join(appDir, "node_modules", "@acme"), { recursive: true });
  symlinkSync(stored, join(appDir, "node_modules", "@acme", "sdk"));
  mkdirSync(join(appDir, "node_modules", "@tracewright"), { recursive: true });
  symlinkSync(pkgDir, join(appDir, "node_modules", "@tracewright", "core"));
  const esmImport = `import { defineIntegration } from "@tracewright/core/instrumentation";`;
  write(join(appDir, "toy.mjs"), toyIntegration(esmImport, ">=1 <2"));
  write(join(appDir, "toy-v2.mjs"), toyIntegration(esmImport, ">=2 <3"));
  write(
    join(appDir, "register.mjs"),
    `import { registerImportHooks } from "@tracewright/core/instrumentation";
import { autolog } from "./toy.mjs";
await registerImportHooks(autolog);`,
  );
});

/** Runs an ESM app in the app directory; it prints one JSON line. */
function runApp(source: string, nodeArgs: string[] = []): { result: unknown; patches: unknown; warnings: string[] } {
  const file = join(appDir, `app-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const out = execFileSync(process.execPath, [...nodeArgs, file], { cwd: appDir, encoding: "utf8", timeout: 20_000 });
  return JSON.parse(out.trim().split("\n").at(-1)!) as { result: unknown; patches: unknown; warnings: string[] };
}

const REQUIRE = `import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n`;
const REPORT = `console.log(JSON.stringify({ result, patches: globalThis.__patches, warnings }));`;
const CAPTURE_WARNINGS = `const warnings = []; console.warn = (line) => warnings.push(String(line));\n`;

describe("exports patterns", () => {
  it("maps a subpath through an exact key or the longest `*` pattern, as Node does", () => {
    expect(exportsTarget(SDK_PACKAGE.exports, "./client")).toEqual(SDK_PACKAGE.exports["./client"]);
    expect(exportsTarget(SDK_PACKAGE.exports, "./client/index.js")).toEqual({
      types: "./dist/esm/client/index.js.d.ts",
      import: "./dist/esm/client/index.js",
      require: "./dist/cjs/client/index.js",
    });
    expect(exportsTarget({ "./a/*": "./x/*", "./a/b/*": "./y/*" }, "./a/b/c.js")).toBe("./y/c.js");
    expect(exportsTarget({ "./*.js": "./lib/*.js" }, "./a.cjs")).toBeNull();
    expect(exportsTarget("./main.js", ".")).toBe("./main.js");
    expect(exportsTarget("./main.js", "./other")).toBeNull();
    expect(exportsTarget({ import: "./m.js" }, ".")).toEqual({ import: "./m.js" });
  });

  it("resolves the ESM file of a pattern-exported subpath", () => {
    const found = resolveEsm("@acme/sdk/client/index.js", appDir);
    expect(found?.url).toMatch(/node_modules\/@acme\/sdk\/dist\/esm\/client\/index\.js$/);
    expect(resolveEsm("@acme/sdk/missing/none.js", join(appDir, "elsewhere"))?.url).toMatch(/dist\/esm\/missing/);
  });

  it("names the subpath a package file is the CommonJS entry of", () => {
    const sdk = join(appDir, ".pnpm", "@acme+sdk@1.4.0", "node_modules", "@acme", "sdk");
    const specifiers = ["@acme/sdk", "@acme/sdk/client/index.js"];
    expect(subpathSpecifierOfFile(specifiers, sdk, join(sdk, "dist/cjs/client/index.js"))).toBe(
      "@acme/sdk/client/index.js",
    );
    expect(subpathSpecifierOfFile(specifiers, sdk, join(sdk, "dist/cjs/server/mcp.js"))).toBeNull();
    expect(subpathSpecifierOfFile(specifiers, sdk, join(sdk, "dist/cjs/other.js"))).toBeNull();
    expect(commonJsModuleName("@acme/sdk/client/index.js", sdk)).toBe("@acme/sdk/dist/cjs/client");
    expect(commonJsModuleName("@acme/sdk/none/none.js", sdk)).toBeNull();
  });
});

describe("hooking a subpath module", () => {
  it("patches a CommonJS copy loaded before autolog, with the version from the package's package.json", () => {
    const out = runApp(`${REQUIRE}${CAPTURE_WARNINGS}
const { Client } = require("@acme/sdk/client/index.js");
const { autolog } = await import("./toy.mjs");
const status = await autolog();
const result = [new Client().call(), status.patched];
${REPORT}`);
    expect(out.result).toEqual([
      "traced:cjs",
      ["@acme/sdk/client/index.js@1.4.0 (CommonJS)", "@acme/sdk/client/index.js@1.4.0 (ESM)"],
    ]);
    expect(out.warnings).toEqual([]);
  });

  it("patches a CommonJS copy required after autolog by its specifier", () => {
    const out = runApp(`${REQUIRE}${CAPTURE_WARNINGS}
const { autolog } = await import("./toy.mjs");
await autolog();
const { Client } = require("@acme/sdk/client/index.js");
const result = new Client().call();
${REPORT}`);
    expect(out.result).toBe("traced:cjs");
    expect(out.patches).toContainEqual({ module: "@acme/sdk/client/index.js", version: "1.4.0" });
  });

  it("patches a CommonJS copy the package itself requires by a relative path, after autolog", () => {
    const out = runApp(`${REQUIRE}${CAPTURE_WARNINGS}
const { autolog } = await import("./toy.mjs");
await autolog();
const { make } = require("@acme/sdk/server/mcp.js");
const result = make().call();
${REPORT}`);
    expect(out.result).toBe("traced:cjs");
    expect(out.patches).toContainEqual({ module: "@acme/sdk/client/index.js", version: "1.4.0" });
  });

  it("patches the ESM copy imported before autolog, and the one the package imports relatively", () => {
    const out = runApp(`${CAPTURE_WARNINGS}
import { Client } from "@acme/sdk/client/index.js";
import { make } from "@acme/sdk/server/mcp.js";
const { autolog } = await import("./toy.mjs");
await autolog();
const result = [new Client().call(), make().call()];
${REPORT}`);
    expect(out.result).toEqual(["traced:esm", "traced:esm"]);
  });

  it("patches an ESM app started with --import register before its first import", () => {
    const out = runApp(
      `${CAPTURE_WARNINGS}
import { make } from "@acme/sdk/server/mcp.js";
const result = make().call();
${REPORT}`,
      ["--import", join(appDir, "register.mjs")],
    );
    expect(out.result).toBe("traced:esm");
    expect(out.patches).toContainEqual({ module: "@acme/sdk/client/index.js", version: "1.4.0" });
  });

  it("warns once, naming the package and the version read from its package.json, when it is outside the range", () => {
    const out = runApp(`${REQUIRE}${CAPTURE_WARNINGS}
const { autolog } = await import("./toy-v2.mjs");
await autolog();
const { Client } = require("@acme/sdk/client/index.js");
require("@acme/sdk/server/mcp.js");
const result = new Client().call();
${REPORT}`);
    expect(out.result).toBe("traced:cjs");
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain("@acme/sdk 1.4.0 is outside the versions");
  });

  it("leaves other files of the package alone", () => {
    const out = runApp(`${REQUIRE}${CAPTURE_WARNINGS}
const { autolog } = await import("./toy.mjs");
await autolog();
require("@acme/sdk/other.js");
require("@acme/sdk/server/mcp.js");
const result = globalThis.__patches.map((p) => p.module);
${REPORT}`);
    // the ESM client (imported by autolog) and the CommonJS client the server required: nothing else
    expect(out.result).toEqual(["@acme/sdk/client/index.js", "@acme/sdk/client/index.js"]);
  });
});
