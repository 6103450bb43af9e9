// Removes stale vitest reports so the closing summary only counts this run (turbo restores
// the reports of cached test tasks, so cached packages are still counted).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { workspacePackageDirs } from "./workspace-dirs.mjs";

for (const dir of workspacePackageDirs()) rmSync(join(dir, "vitest-report.json"), { force: true });
