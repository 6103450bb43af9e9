import type { Trace } from "../entities/trace.js";
import { InvalidArgumentError } from "../errors.js";
import { parseOrderBy } from "./filter/parser.js";
import { fieldValue } from "./filter/predicate.js";

/** Page tokens are opaque to callers: base64 of the offset. */
export const encodePageToken = (offset: number): string => Buffer.from(JSON.stringify({ offset })).toString("base64");

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown };
    if (typeof parsed.offset === "number" && parsed.offset >= 0) return parsed.offset;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError(`Invalid page token "${token}": pass the nextPageToken of a previous search.`);
}

/** Sorts by the order-by clauses, then by trace id for a stable order. */
export function sortTraces(traces: Trace[], orderBy: string[] | undefined): Trace[] {
  const clauses = parseOrderBy(orderBy);
  return [...traces].sort((a, b) => {
    for (const { field, ascending } of clauses) {
      const va = fieldValue(a, field);
      const vb = fieldValue(b, field);
      if (va === vb) continue;
      if (va === undefined) return 1;
      if (vb === undefined) return -1;
      const c = va < vb ? -1 : 1;
      return ascending ? c : -c;
    }
    return a.info.traceId < b.info.traceId ? -1 : a.info.traceId > b.info.traceId ? 1 : 0;
  });
}
