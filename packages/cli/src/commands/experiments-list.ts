import { renderTable } from "../table.js";
import type { Command } from "./command.js";
import { openStore } from "./store-access.js";

/** `tracewright experiments list`: ids, names and trace counts. */
export const experimentsList: Command = {
  name: "experiments list",
  summary: "list experiments",
  help: `Usage: tracewright experiments list [--json]

List experiments with their ids and trace counts.`,
  options: { json: { type: "boolean" } },
  async run(values, _positionals, io) {
    const store = openStore(values);
    const experiments = (await store.listExperiments?.()) ?? [];
    if (values.json) {
      for (const e of experiments) io.out(JSON.stringify(e));
      return;
    }
    io.out(
      renderTable(
        ["ID", "NAME", "TRACES"],
        experiments.map((e) => [e.experimentId, e.name, String(e.traceCount ?? "")]),
      ),
    );
  },
};
