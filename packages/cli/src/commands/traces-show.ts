import { getTrackingUri } from "@tracewright/core";
import { renderTraceTree } from "../tree.js";
import { CliError, type Command } from "./command.js";
import { experimentScope, openStore } from "./store-access.js";

/** `tracewright traces show`: one trace's span tree, or its MLflow JSON. */
export const tracesShow: Command = {
  name: "traces show",
  summary: "show one trace's span tree (or --last)",
  help: `Usage: tracewright traces show <trace-id> [options]
       tracewright traces show --last [options]

Show a trace's span tree with span types, durations, status, token usage and errors.

Options:
  --last                      the most recent trace
  -e, --experiment <name|id>  with --last: the most recent trace of this experiment
  --json                      print the trace as MLflow JSON`,
  options: {
    experiment: { type: "string", short: "e" },
    json: { type: "boolean" },
    last: { type: "boolean" },
  },
  async run(values, positionals, io) {
    const store = openStore(values);
    let traceId = positionals[0];
    if (values.last) {
      if (traceId) throw new CliError("Give either a trace id or --last, not both.", 2);
      const page = await store.searchTraces({
        experimentIds: await experimentScope(store, values.experiment as string | undefined),
        maxResults: 1,
      });
      traceId = page.traces[0]?.info.traceId;
      if (!traceId) throw new CliError("No traces found.");
    }
    if (!traceId) throw new CliError("Missing trace id. Usage: tracewright traces show <trace-id> (or --last).", 2);
    const trace = await store.getTrace(traceId);
    if (!trace) throw new CliError(`Trace "${traceId}" not found in ${getTrackingUri()}.`);
    io.out(values.json ? trace.toJson({ pretty: true }) : renderTraceTree(trace));
  },
};
