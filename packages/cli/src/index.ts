/**
 * The `tracewright` command line: list, show and delete traces, list experiments.
 *
 * @packageDocumentation
 */
export { runCli, CliError } from "./run.js";
export { renderTraceTree } from "./tree.js";
