/**
 * `@tracewright/mcp`: autolog for the Model Context Protocol SDK (`@modelcontextprotocol/sdk`):
 * client and server spans, one trace across both sides.
 *
 * @packageDocumentation
 */
export { autolog, integration, TESTED_VERSIONS } from "./autolog.js";
export type { McpAutologOptions } from "./types.js";
