/** A plain object to read fields from (not null, not an array): the check every `convert.ts` needs. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A string holding JSON (tool arguments, tool results) as the value it encodes; anything else as it is. */
export function parseJsonString(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
