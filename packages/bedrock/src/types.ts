import type { ActiveSettings, AutologOptions, Integration } from "@tracewright/core/instrumentation";

/**
 * Options of {@link autolog}: the kit's common options (`disable`, `silent`, `redact`,
 * `recordContent`, `logTraces`), with one meaning in every Tracewright integration.
 */
export interface BedrockAutologOptions extends AutologOptions {}

/** The settings in force for one call. */
export type CallSettings = ActiveSettings<undefined>;

/** The settings and spans the middleware uses: autolog's integration. */
export type Tracing = Pick<Integration<BedrockAutologOptions, undefined>, "active" | "instrumentCall">;

/** The Bedrock Runtime operations traced. */
export type OperationKind = "converse" | "converseStream" | "invokeModel" | "invokeModelStream";

/** One traced operation: its command class's export name and MLflow's span name for it. */
export interface Operation {
  kind: OperationKind;
  /** The command class exported by `@aws-sdk/client-bedrock-runtime`. */
  command: string;
  /** MLflow names the span `BedrockRuntime.<boto3 method name>`. */
  spanName: string;
  /** The output member holding the event stream, for the streaming operations. */
  streamMember?: "stream" | "body";
}

// Shapes of the AWS SDK relied on (checked at runtime, never imported).

type Obj = Record<string, unknown>;

/** What a smithy middleware's `next` resolves to. */
export interface HandlerResult {
  output: Obj;
  response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

export type Handler = (args: { input: Obj }) => Promise<HandlerResult>;
export type InitializeMiddleware = (next: Handler, context: Obj) => Handler;

/** A smithy middleware stack, as much of it as the patch uses. */
export interface MiddlewareStackLike {
  clone(): MiddlewareStackLike;
  add(middleware: InitializeMiddleware, options: { step: "initialize"; priority: "high"; name: string }): void;
}

/** A command class's `resolveMiddleware(clientStack, configuration, options)`. */
export type ResolveMiddleware = (
  this: unknown,
  stack: MiddlewareStackLike,
  configuration: unknown,
  options?: unknown,
) => unknown;

/** A command class: its prototype carries `resolveMiddleware`. */
export interface CommandClass {
  prototype: { resolveMiddleware?: ResolveMiddleware };
}
