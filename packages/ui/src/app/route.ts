/** Routes live in the hash: #/ (list), #/trace/<id>[/<spanId>], #/compare/<a>/<b>. */
export type Route =
  | { view: "list"; problem?: string }
  | { view: "trace"; traceId: string; spanId: string | null }
  | { view: "compare"; a: string; b: string };

/**
 * Reads the route from `location.hash`. Never throws: a hash that is not valid percent-encoding
 * (a mistyped or cut link) shows the list with a notice naming it, instead of a blank page.
 */
export function parseRoute(hash: string): Route {
  let parts: string[];
  try {
    parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { view: "list", problem: `"${hash.slice(0, 200)}" is not a valid link; showing the trace list.` };
  }
  if (parts[0] === "trace" && parts[1]) return { view: "trace", traceId: parts[1], spanId: parts[2] ?? null };
  if (parts[0] === "compare" && parts[1] && parts[2]) return { view: "compare", a: parts[1], b: parts[2] };
  return { view: "list" };
}
