import type { Assessment } from "../entities/assessment.js";

/**
 * The override rule: a new assessment replaces the valid one with the same name, source and
 * span. The older stays stored but invalid, and the newer records whose place it took.
 * Returns the assessments that became invalid.
 */
export function applyOverride(existing: readonly Assessment[], incoming: Assessment): Assessment[] {
  const replaced = existing.filter(
    (a) =>
      a.valid &&
      a.assessmentId !== incoming.assessmentId &&
      a.name === incoming.name &&
      a.spanId === incoming.spanId &&
      a.source.sameAs(incoming.source),
  );
  for (const old of replaced) old.valid = false;
  const newest = replaced.at(-1);
  if (newest && !incoming.overrides) incoming.overrides = newest.assessmentId;
  return replaced;
}
