import { type AutologStatus, defineIntegration, methodPatches } from "@tracewright/core/instrumentation";
import { patchClientModule } from "./client-patch.js";
import { patchServerModule } from "./server-patch.js";
import type { McpAutologOptions } from "./types.js";

/** The versions of @modelcontextprotocol/sdk the tests run against. */
export const TESTED_VERSIONS = ">=1.32.2 <2.0.0";

export const CLIENT_MODULE = "@modelcontextprotocol/sdk/client/index.js";
export const SERVER_MODULE = "@modelcontextprotocol/sdk/server/index.js";

/** Every method this integration wrapped, in every loaded copy of the SDK. */
export const patches = methodPatches("mcp");

/** The MCP integration: the SDK's client (`Client`) and server (`Server`, and `McpServer` through it) modules. */
export const integration = defineIntegration<McpAutologOptions>({
  name: "mcp",
  modules: [
    { name: CLIENT_MODULE, versions: TESTED_VERSIONS },
    { name: SERVER_MODULE, versions: TESTED_VERSIONS },
  ],
  patch: (mod, { module }): boolean =>
    module === SERVER_MODULE
      ? patchServerModule(mod, integration, patches)
      : patchClientModule(mod, integration, patches),
  unpatch: () => patches.restoreAll(),
});

/**
 * Traces the Model Context Protocol SDK (`@modelcontextprotocol/sdk`) on both sides. On the client,
 * `callTool` (TOOL span), `readResource` (RETRIEVER), `getPrompt`, `listTools`, `listResources` and
 * `listPrompts` run in a span under the active one, and each request carries that span's W3C trace
 * context in `params._meta` (`traceparent`, `tracestate`). On the server, each handled request is a
 * span; when the request carries a trace context, the span continues the client's trace as a child
 * of the client's span, whatever the transport (stdio, HTTP, in-memory).
 *
 * Results are returned untouched; a tool result with `isError: true` marks its span as failed; a
 * thrown `McpError` is recorded and rethrown unchanged. Idempotent (the latest options win);
 * `autolog({ disable: true })` restores the original methods. Works whether the SDK was loaded
 * before or after this call, CommonJS or ESM; `node --import @tracewright/mcp/register` traces an
 * ESM app with no code change.
 *
 * @example
 * ```ts
 * import * as mcp from "@tracewright/mcp";
 * await mcp.autolog();
 * ```
 */
export function autolog(options?: McpAutologOptions): Promise<AutologStatus> {
  return integration.autolog(options);
}
