import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = process.env.TRACEWRIGHT_CHROMIUM ?? "/usr/bin/chromium";

/** Debian's chromium, headless with a fresh profile (never a browser download). */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Debian's chromium at ${CHROMIUM}: run "apt-get install -y chromium" (.ci/run does), or set TRACEWRIGHT_CHROMIUM.`,
    );
  }
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "tracewright-chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 820 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
