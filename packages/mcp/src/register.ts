/**
 * `node --import @tracewright/mcp/register app.mjs`: registers import-in-the-middle's loader
 * and turns autolog on before the app's first import, so ESM apps are traced with no code change.
 */
import { registerImportHooks } from "@tracewright/core/instrumentation";
import { autolog } from "./index.js";

await registerImportHooks(autolog);
