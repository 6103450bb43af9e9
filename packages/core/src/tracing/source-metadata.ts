import { userInfo } from "node:os";
import { TraceMetadataKey } from "../constants.js";

/** Trace metadata keys naming who and what made a trace, as MLflow's Python client writes them. */
export const SourceMetadataKey = {
  USER: TraceMetadataKey.USER,
  SOURCE_NAME: TraceMetadataKey.SOURCE_NAME,
  SOURCE_TYPE: TraceMetadataKey.SOURCE_TYPE,
} as const;

let cached: Readonly<Record<string, string>> | undefined;

/**
 * `mlflow.user` (the OS user, `"unknown"` when there is none), `mlflow.source.name` (the main
 * script, `"<console>"` for `node -e` or a REPL) and `mlflow.source.type` (`"LOCAL"`): the values
 * MLflow's default run context gives every trace, shown in MLflow's UI. The same for the whole
 * process, so computed once.
 */
export function sourceMetadata(): Readonly<Record<string, string>> {
  if (cached === undefined) {
    let user = "unknown";
    try {
      user = userInfo().username || user;
    } catch {
      // no passwd entry for the uid (some containers): MLflow's fallback too
    }
    cached = Object.freeze({
      [SourceMetadataKey.USER]: user,
      [SourceMetadataKey.SOURCE_NAME]: process.argv[1] || "<console>",
      [SourceMetadataKey.SOURCE_TYPE]: "LOCAL",
    });
  }
  return cached;
}
