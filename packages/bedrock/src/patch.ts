/**
 * The hook: each traced command class's `resolveMiddleware` builds its handler from a copy of the
 * client's middleware stack with our middleware added, so neither the client's stack nor the
 * command's own is ever changed. `client.send(command)` and the aggregated client's methods
 * (`client.converse(...)`) both go through it.
 */
import { methodPatches } from "@tracewright/core/instrumentation";
import { MIDDLEWARE_NAME, tracingMiddleware } from "./middleware.js";
import { OPERATIONS } from "./record.js";
import type { CommandClass, MiddlewareStackLike, Operation, ResolveMiddleware, Tracing } from "./types.js";

/** The patched `resolveMiddleware` methods, shared by every copy of this package in the process. */
export const patches = methodPatches("bedrock");

function isStack(value: unknown): value is MiddlewareStackLike {
  const s = value as Partial<MiddlewareStackLike> | null;
  return typeof s?.clone === "function" && typeof s.add === "function";
}

function tracedResolveMiddleware(
  original: ResolveMiddleware,
  operation: Operation,
  tracing: Tracing,
): ResolveMiddleware {
  const middleware = tracingMiddleware(operation, tracing);
  return function resolveMiddleware(this: unknown, clientStack, configuration, options) {
    // biome-ignore lint/complexity/noArguments: forwards the exact arguments the client passed
    const args = arguments;
    if (tracing.active() === null || !isStack(clientStack)) return original.apply(this, args as never);
    let stack: MiddlewareStackLike = clientStack;
    try {
      stack = clientStack.clone();
      stack.add(middleware, { step: "initialize", priority: "high", name: MIDDLEWARE_NAME });
    } catch {
      stack = clientStack; // a stack we cannot extend: the call goes on untraced
    }
    return original.call(this, stack, configuration, options);
  };
}

/** The command classes inside whatever `require` / `import` of the SDK returned. */
function commandClasses(mod: unknown): Array<[CommandClass, Operation]> {
  const m = mod as Record<string, unknown> | null;
  const candidates = [m, m?.default as Record<string, unknown> | undefined];
  const found: Array<[CommandClass, Operation]> = [];
  for (const operation of OPERATIONS) {
    for (const c of candidates) {
      const cls = c?.[operation.command];
      if (typeof cls === "function" && typeof (cls as CommandClass).prototype?.resolveMiddleware === "function") {
        found.push([cls as CommandClass, operation]);
        break;
      }
    }
  }
  return found;
}

/**
 * Patches the four traced command classes of one loaded copy of the SDK (idempotent). False
 * when the module holds none of them.
 */
export function patchBedrockModule(mod: unknown, tracing: Tracing): boolean {
  const classes = commandClasses(mod);
  for (const [cls, operation] of classes) {
    patches.wrap(cls.prototype, "resolveMiddleware", (original) =>
      tracedResolveMiddleware(original as ResolveMiddleware, operation, tracing),
    );
  }
  return classes.length > 0;
}
