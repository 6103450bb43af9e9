/**
 * The `tracewright` command line: list, show and delete traces, list experiments.
 *
 * @packageDocumentation
 */
export { CliError, runCli } from "./run.js";
export { renderTraceTree } from "./tree.js";
