import type { ActiveSettings, AutologOptions, Integration } from "@tracewright/core/instrumentation";

/**
 * Options of {@link autolog}: the kit's common options (`disable`, `silent`, `redact`,
 * `recordContent`, `logTraces`), with one meaning in every Tracewright integration.
 */
export type AnthropicAutologOptions = AutologOptions;

/** The settings and spans a patched method uses. */
export type Tracing = Pick<Integration<AnthropicAutologOptions, undefined>, "active" | "instrumentCall">;

/** The settings in force for one call. */
export type CallSettings = ActiveSettings<undefined>;

/** The traced methods, with MLflow's span names and types. */
export interface Endpoint {
  /** `create` (streamed or not), the `stream()` helper, or `countTokens`. */
  kind: "create" | "stream" | "countTokens";
  /** MLflow names the span `<resource class>.<method>`: `Messages.create`. */
  spanName: string;
  spanType: string;
}

// Shapes of @anthropic-ai/sdk relied on (checked at runtime, never imported).

export type ResourceMethod = (this: unknown, body?: unknown, options?: unknown) => unknown;

/** A resource class such as `Messages` (stable or beta). */
export interface ResourceClass {
  prototype: { create?: ResourceMethod; stream?: ResourceMethod; countTokens?: ResourceMethod };
}

/** The `Anthropic` client class, with its resource classes as static properties. */
export interface AnthropicClass {
  Messages?: ResourceClass;
  Beta?: { Messages?: ResourceClass };
}

/** What `require("@anthropic-ai/sdk")` or `import * as ns from "@anthropic-ai/sdk"` yields. */
export interface AnthropicModule {
  Anthropic?: AnthropicClass;
  default?: AnthropicClass | { Anthropic?: AnthropicClass };
}
