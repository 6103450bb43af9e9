/**
 * `node --import @tracewright/llamaindex/register app.mjs`: turns autolog on before the app's
 * first import, so an ESM app is traced with no code change. Autolog patches the classes of the
 * LlamaIndex copies Node resolves from the working directory and from the app's directory.
 */
import { autolog } from "./index.js";

await autolog();
