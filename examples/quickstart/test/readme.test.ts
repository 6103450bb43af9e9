/** The README's quick start must work when pasted: extract it and run it as a user would. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(exampleDir, "..", "..", "README.md"), "utf8");

function codeBlockAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no ts block after ${heading}`);
  return match[1] as string;
}

describe("README", () => {
  it("quick start runs as pasted and prints the span tree", () => {
    const file = join(exampleDir, "readme-quickstart.generated.ts");
    writeFileSync(file, codeBlockAfter("## Quick start"));
    const db = join(mkdtempSync(join(tmpdir(), "tw-readme-")), "traces.db");
    try {
      const out = execFileSync(process.execPath, [file], {
        cwd: exampleDir,
        env: { ...process.env, TRACEWRIGHT_TRACKING_URI: `sqlite://${db}` },
        encoding: "utf8",
      });
      expect(out).toContain("Answered from 1 document(s)");
      expect(out).toContain("[ 'answer (CHAIN)', 'retrieve (RETRIEVER)' ]");
    } finally {
      rmSync(file, { force: true });
    }
  });
});
