/**
 * `node --import @tracewright/openai/register app.mjs`: registers import-in-the-middle's loader
 * for the `openai` package only and turns autolog on before the app's first import, so ESM apps
 * are traced with no code change.
 */
import { register } from "node:module";
import { createAddHookMessageChannel } from "import-in-the-middle";
import { autolog } from "./index.js";

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);
await autolog();
await waitForAllMessagesAcknowledged();
