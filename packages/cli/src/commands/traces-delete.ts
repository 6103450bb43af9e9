import { CliError, type Command } from "./command.js";
import { openStore, positiveInt, resolveExperiment } from "./store-access.js";

/** `tracewright traces delete`: traces of one experiment, by id or by age. */
export const tracesDelete: Command = {
  name: "traces delete",
  summary: "delete traces by id or age",
  help: `Usage: tracewright traces delete --experiment <name|id> (--ids <id,...> | --older-than <ms>) [--max n]

Delete traces of one experiment, by id or by start time (oldest first).

Options:
  -e, --experiment <name|id>  the experiment (required)
  --ids <id,id,...>           these traces
  --older-than <ms>           traces started at or before this Unix time in milliseconds
  -n, --max <n>               with --older-than: at most n traces`,
  options: {
    experiment: { type: "string", short: "e" },
    ids: { type: "string" },
    "older-than": { type: "string" },
    max: { type: "string", short: "n" },
  },
  async run(values, _positionals, io) {
    if (!values.experiment) throw new CliError("--experiment is required.", 2);
    const byIds = values.ids !== undefined;
    const byAge = values["older-than"] !== undefined;
    if (byIds === byAge) throw new CliError("Give exactly one of --ids or --older-than.", 2);
    const store = openStore(values);
    const experimentId = await resolveExperiment(store, values.experiment as string);
    let count: number;
    if (byIds) {
      const ids = String(values.ids)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      count = await store.deleteTraces({ experimentId, traceIds: ids });
    } else {
      const bound = Number(values["older-than"]);
      if (!Number.isFinite(bound))
        throw new CliError(`--older-than expects milliseconds, got "${values["older-than"]}".`, 2);
      count = await store.deleteTraces({
        experimentId,
        maxTimestampMillis: bound,
        ...(values.max !== undefined ? { maxTraces: positiveInt(values.max as string, "--max", 1) } : {}),
      });
    }
    io.out(`Deleted ${count} trace${count === 1 ? "" : "s"}.`);
  },
};
