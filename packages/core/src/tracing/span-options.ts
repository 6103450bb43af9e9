import { InvalidArgumentError } from "../errors.js";

/** A short description of a wrongly typed option, for error messages. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value}${typeof value === "object" || typeof value === "function" ? "" : ` ${String(value)}`}`;
}

/**
 * Checks the options of `trace(fn, options)` once, when the function is wrapped (never per call):
 * a wrong type is an {@link InvalidArgumentError} naming the option, instead of a span type `5`
 * or attributes `"x"` silently stored in every trace.
 */
export function checkTraceOptions(options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new InvalidArgumentError(`trace(fn, options): options must be an object, got ${describe(options)}.`);
  }
  const { name, spanType, attributes } = options as { name?: unknown; spanType?: unknown; attributes?: unknown };
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new InvalidArgumentError(`trace(fn, { name }): name must be a non-empty string, got ${describe(name)}.`);
  }
  if (spanType !== undefined && (typeof spanType !== "string" || spanType === "")) {
    throw new InvalidArgumentError(
      `trace(fn, { spanType }): spanType must be a non-empty string such as "LLM" or "TOOL", got ${describe(spanType)}.`,
    );
  }
  if (
    attributes !== undefined &&
    (attributes === null || typeof attributes !== "object" || Array.isArray(attributes))
  ) {
    throw new InvalidArgumentError(
      `trace(fn, { attributes }): attributes must be an object of attribute values, got ${describe(attributes)}.`,
    );
  }
}
