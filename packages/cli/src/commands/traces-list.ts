import { type Trace, TraceTagKey } from "@tracewright/core";
import { formatDuration, formatState, formatTime, truncate } from "../style.js";
import { renderTable } from "../table.js";
import type { Command } from "./command.js";
import { experimentScope, openStore, positiveInt } from "./store-access.js";

/** `tracewright traces list`: a table (or JSON lines) of trace infos, newest first. */
export const tracesList: Command = {
  name: "traces list",
  summary: "list traces (newest first)",
  help: `Usage: tracewright traces list [options]

List traces as a table: id, name, state, start, duration, tokens, tags.

Options:
  -e, --experiment <name|id>  only this experiment (default: all)
  -f, --filter <filter>       MLflow filter, e.g. "tags.env = 'prod' AND attributes.status = 'OK'"
  -n, --max <n>               at most n traces (default 25)
  --order <clause>            e.g. "execution_time_ms DESC" (default "timestamp_ms DESC")
  --json                      print JSON (one trace info per line)`,
  options: {
    experiment: { type: "string", short: "e" },
    filter: { type: "string", short: "f" },
    max: { type: "string", short: "n" },
    order: { type: "string" },
    json: { type: "boolean" },
  },
  async run(values, _positionals, io) {
    const store = openStore(values);
    const page = await store.searchTraces({
      experimentIds: await experimentScope(store, values.experiment as string | undefined),
      maxResults: positiveInt(values.max as string | undefined, "--max", 25),
      ...(values.filter ? { filterString: values.filter as string } : {}),
      ...(values.order ? { orderBy: [values.order as string] } : {}),
    });
    if (values.json) {
      for (const t of page.traces) io.out(JSON.stringify(t.info.toDict()));
      return;
    }
    if (page.traces.length === 0) {
      io.out("No traces found.");
      return;
    }
    const rows = page.traces.map((t: Trace) => {
      const tags = Object.entries(t.info.tags)
        .filter(([k]) => !k.startsWith("mlflow."))
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      return [
        t.info.traceId,
        truncate(t.info.tags[TraceTagKey.TRACE_NAME] ?? "", 32),
        formatState(t.info.state),
        formatTime(t.info.requestTime),
        formatDuration(t.info.executionDuration),
        String(t.info.tokenUsage?.total_tokens ?? ""),
        truncate(tags, 40),
      ];
    });
    io.out(renderTable(["TRACE ID", "NAME", "STATE", "START", "DURATION", "TOKENS", "TAGS"], rows));
    if (page.nextPageToken) io.out(`(more traces exist; raise --max to see them)`);
  },
};
