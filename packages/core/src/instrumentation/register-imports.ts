import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { createAddHookMessageChannel } from "import-in-the-middle";
import type { AutologOptions } from "./options.js";

/**
 * For an integration's `register` entry (`node --import @tracewright/<name>/register app.mjs`):
 * registers import-in-the-middle's loader, then turns the integration on, so that the app's
 * first `import` of the library is already patched. Only modules an integration added a hook for
 * are wrapped.
 *
 * @example
 * ```ts
 * // src/register.ts
 * import { registerImportHooks } from "@tracewright/core/instrumentation";
 * import { autolog } from "./index.js";
 * await registerImportHooks(autolog);
 * ```
 */
export async function registerImportHooks(autolog: (options?: AutologOptions) => Promise<unknown>): Promise<void> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  // resolved from core, which depends on import-in-the-middle
  const parent = typeof __filename === "string" ? pathToFileURL(__filename).href : import.meta.url;
  register("import-in-the-middle/hook.mjs", parent, registerOptions);
  await autolog();
  await waitForAllMessagesAcknowledged();
}
