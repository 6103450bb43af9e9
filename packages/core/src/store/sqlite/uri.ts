import { isAbsolute, resolve } from "node:path";
import { ConfigurationError } from "../../errors.js";

/** The default embedded database, relative to the working directory. */
export const DEFAULT_SQLITE_PATH = ".tracewright/traces.db";

/**
 * The file a `sqlite:` URI names: `sqlite:///abs/path.db` (absolute), `sqlite:relative/path.db`,
 * `sqlite:./x.db`, `sqlite://relative.db`, or `sqlite::memory:`.
 */
export function sqlitePathFromUri(uri: string): string {
  if (!uri.toLowerCase().startsWith("sqlite:")) throw new ConfigurationError(`Not a sqlite URI: "${uri}".`);
  let rest = uri.slice("sqlite:".length);
  if (rest === ":memory:" || rest === "///:memory:") return ":memory:";
  if (rest.startsWith("///")) rest = rest.slice(2);
  else if (rest.startsWith("//")) rest = rest.slice(2);
  if (rest === "") throw new ConfigurationError(`sqlite URI "${uri}" names no file; e.g. "sqlite:///tmp/traces.db".`);
  return isAbsolute(rest) ? rest : resolve(rest);
}
