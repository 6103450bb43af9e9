import type { Trace } from "../entities/trace.js";
import { InvalidArgumentError } from "../errors.js";
import { describeValue, parseFilter, parseOrderBy } from "./filter/parser.js";
import { fieldValue } from "./filter/predicate.js";
import type { DeleteTracesOptions, SearchTracesOptions } from "./trace-store.js";

/** Page tokens are opaque to callers: base64 of the offset. */
export const encodePageToken = (offset: number): string => Buffer.from(JSON.stringify({ offset })).toString("base64");

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === null || token === "") return 0;
  if (typeof token !== "string") {
    throw new InvalidArgumentError(`searchTraces: pageToken must be a string, got ${describeValue(token)}.`);
  }
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown };
    if (Number.isSafeInteger(parsed.offset) && (parsed.offset as number) >= 0) return parsed.offset as number;
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

/** The page size of a search (default 100); anything but a positive integer is refused. */
export function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined || maxResults === null) return 100;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1) {
    // 0 would hand back a page token pointing at the same offset: a token-following loop never ends
    throw new InvalidArgumentError(
      `searchTraces: maxResults must be a positive integer, got ${describeValue(maxResults)}.`,
    );
  }
  return maxResults;
}

/**
 * Checks the types of search options before any store sees them, so that a wrong one is a clear
 * error naming the option instead of a TypeError from deep inside a store; the filter and
 * order-by clauses are parsed too, so an invalid one fails before anything is read.
 */
export function checkSearchOptions(options: SearchTracesOptions): void {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`searchTraces: expected an options object, got ${describeValue(options)}.`);
  }
  const { experimentIds, filterString, orderBy, runId } = options;
  if (
    experimentIds !== undefined &&
    (!Array.isArray(experimentIds) || experimentIds.some((id) => typeof id !== "string" || id === ""))
  ) {
    throw new InvalidArgumentError(
      `searchTraces: experimentIds must be an array of experiment id strings such as ["0"], got ${describeValue(experimentIds)}.`,
    );
  }
  if (filterString !== undefined && filterString !== null && typeof filterString !== "string") {
    throw new InvalidArgumentError(
      `searchTraces: filterString must be a string such as "tags.env = 'prod'", got ${describeValue(filterString)}.`,
    );
  }
  if (orderBy !== undefined && (!Array.isArray(orderBy) || orderBy.some((o) => typeof o !== "string"))) {
    throw new InvalidArgumentError(
      `searchTraces: orderBy must be an array of strings such as ["timestamp_ms DESC"], got ${describeValue(orderBy)}.`,
    );
  }
  if (runId !== undefined && typeof runId !== "string") {
    throw new InvalidArgumentError(`searchTraces: runId must be a string, got ${describeValue(runId)}.`);
  }
  if (options.includeSpans !== undefined && typeof options.includeSpans !== "boolean") {
    throw new InvalidArgumentError(
      `searchTraces: includeSpans must be true or false, got ${describeValue(options.includeSpans)}.`,
    );
  }
  pageSize(options.maxResults);
  // the token itself is the store's to decode (an MLflow server's tokens are its own)
  if (options.pageToken !== undefined && options.pageToken !== null && typeof options.pageToken !== "string") {
    throw new InvalidArgumentError(
      `searchTraces: pageToken must be a string, got ${describeValue(options.pageToken)}.`,
    );
  }
  parseFilter(filterString);
  parseOrderBy(orderBy);
}

/**
 * Checks delete options: exactly one of a time bound or a list of ids, a count only as a positive
 * integer with a time bound. A bad count must not become SQLite's `LIMIT -1` (every trace), nor a
 * bad time bound a silent no-op.
 */
export function checkDeleteOptions(options: DeleteTracesOptions): void {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`deleteTraces: expected an options object, got ${describeValue(options)}.`);
  }
  const { experimentId, maxTimestampMillis, maxTraces, traceIds } = options;
  if (typeof experimentId !== "string" || experimentId === "") {
    throw new InvalidArgumentError(
      `deleteTraces: experimentId must be a non-empty string, got ${describeValue(experimentId)}.`,
    );
  }
  const byTime = maxTimestampMillis !== undefined;
  const byIds = traceIds !== undefined;
  if (byTime === byIds) {
    throw new InvalidArgumentError("deleteTraces: give exactly one of maxTimestampMillis or traceIds.");
  }
  if (byTime && (typeof maxTimestampMillis !== "number" || !Number.isFinite(maxTimestampMillis))) {
    throw new InvalidArgumentError(
      `deleteTraces: maxTimestampMillis must be a time in milliseconds since the epoch (a finite number), got ${describeValue(maxTimestampMillis)}.`,
    );
  }
  if (maxTraces !== undefined) {
    if (!byTime) throw new InvalidArgumentError("deleteTraces: maxTraces only applies with maxTimestampMillis.");
    if (!Number.isSafeInteger(maxTraces) || maxTraces < 1) {
      throw new InvalidArgumentError(
        `deleteTraces: maxTraces must be a positive integer, got ${describeValue(maxTraces)}.`,
      );
    }
  }
  if (byIds && (!Array.isArray(traceIds) || traceIds.some((id) => typeof id !== "string" || id === ""))) {
    throw new InvalidArgumentError(
      `deleteTraces: traceIds must be an array of trace id strings, got ${describeValue(traceIds)}.`,
    );
  }
}
