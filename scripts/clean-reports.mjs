// Removes stale vitest reports so the closing summary only counts this run (turbo restores
// the reports of cached test tasks, so cached packages are still counted).
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
for (const group of ["packages", "examples"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) rmSync(join(dir, name, "vitest-report.json"), { force: true });
}
