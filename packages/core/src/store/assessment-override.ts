import type { Assessment } from "../entities/assessment.js";
import { InvalidArgumentError } from "../errors.js";

/**
 * MLflow's override rule: an assessment replaces another only when it says so, through
 * `overrides` (the id of the one it replaces, as `override_feedback` sets it). The replaced one
 * stays stored but becomes invalid. Two assessments of the same name from the same source are
 * otherwise both valid, as on an MLflow server. Returns the assessments that became invalid.
 */
export function applyOverride(existing: readonly Assessment[], incoming: Assessment): Assessment[] {
  if (!incoming.overrides) return [];
  const replaced = existing.find((a) => a.assessmentId === incoming.overrides);
  if (!replaced) {
    throw new InvalidArgumentError(
      `Assessment ${incoming.assessmentId} overrides "${incoming.overrides}", which is not an assessment of trace ${incoming.traceId}.`,
    );
  }
  if (replaced.assessmentId === incoming.assessmentId) {
    throw new InvalidArgumentError(`Assessment ${incoming.assessmentId} cannot override itself.`);
  }
  replaced.valid = false;
  return [replaced];
}
