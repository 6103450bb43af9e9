import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** Where the build put the bundled app: dist/app beside dist/index.js (or, running from src, the built one). */
export const APP_DIR =
  [join(here, "app"), join(here, "..", "..", "dist", "app")].find((dir) => existsSync(dir)) ?? join(here, "app");

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** The page: the bundled script and stylesheet, nothing fetched from elsewhere. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tracewright</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="root"></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;

/** A bundled asset by file name (`app.js`, `app.css`, their maps), or null. */
export async function readAsset(name: string): Promise<{ body: Buffer; type: string } | null> {
  if (!/^app\.(js|css)(\.map)?$/.test(name)) return null;
  const ext = name.endsWith(".map") ? ".map" : name.slice(name.lastIndexOf("."));
  try {
    return { body: await readFile(join(APP_DIR, name)), type: TYPES[ext] ?? "application/octet-stream" };
  } catch {
    return null;
  }
}
