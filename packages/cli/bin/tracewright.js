#!/usr/bin/env node
// The `tracewright` command. This file is committed (dist/ is built), so that pnpm links the bin
// at install time: pnpm does not link a workspace package's bin whose target does not exist yet,
// which left `tracewright: not found` after `pnpm install && pnpm build` on a fresh clone.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write("tracewright: the CLI is not built yet; run `pnpm build` in the repository first.\n");
  process.exitCode = 1;
}
