import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  getTraceStore,
  getTrackingUri,
  InvalidFilterError,
  setTrackingUri,
  type Trace,
  TraceNotFoundError,
  type TraceStore,
  TracewrightError,
} from "@tracewright/core";
import { sqlitePathFromUri } from "@tracewright/core/stores";
import { formatDuration, formatState, formatTime, truncate } from "./style.js";
import { renderTable } from "./table.js";
import { renderTraceTree } from "./tree.js";

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const COMMON = `
Options for every command:
  --tracking-uri <uri>   store to read (default: $TRACEWRIGHT_TRACKING_URI, $MLFLOW_TRACKING_URI,
                         or sqlite:.tracewright/traces.db)
  -h, --help             show help`;

const HELP: Record<string, string> = {
  main: `Usage: tracewright <command> [options]

Commands:
  traces list            list traces (newest first)
  traces show <id>       show one trace's span tree (or --last)
  traces delete          delete traces by id or age
  experiments list       list experiments
  ui                     open the trace viewer in the browser (local server)

Run "tracewright <command> --help" for a command's options.`,
  "traces list": `Usage: tracewright traces list [options]

List traces as a table: id, name, state, start, duration, tokens, tags.

Options:
  -e, --experiment <name|id>  only this experiment (default: all)
  -f, --filter <filter>       MLflow filter, e.g. "tags.env = 'prod' AND attributes.status = 'OK'"
  -n, --max <n>               at most n traces (default 25)
  --order <clause>            e.g. "execution_time_ms DESC" (default "timestamp_ms DESC")
  --json                      print JSON (one trace info per line)
${COMMON}`,
  "traces show": `Usage: tracewright traces show <trace-id> [options]
       tracewright traces show --last [options]

Show a trace's span tree with span types, durations, status, token usage and errors.

Options:
  --last                      the most recent trace
  -e, --experiment <name|id>  with --last: the most recent trace of this experiment
  --json                      print the trace as MLflow JSON
${COMMON}`,
  "traces delete": `Usage: tracewright traces delete --experiment <name|id> (--ids <id,...> | --older-than <ms>) [--max n]

Delete traces of one experiment, by id or by start time (oldest first).

Options:
  -e, --experiment <name|id>  the experiment (required)
  --ids <id,id,...>           these traces
  --older-than <ms>           traces started at or before this Unix time in milliseconds
  -n, --max <n>               with --older-than: at most n traces
${COMMON}`,
  ui: `Usage: tracewright ui [--port 5173] [--host 127.0.0.1] [--tracking-uri <uri>]

Serve the trace viewer (trace list, span trees, chat transcripts, feedback, compare) and print its
URL. It listens on 127.0.0.1 and answers only requests addressed to 127.0.0.1 or localhost; pass
--host (e.g. 0.0.0.0) to serve other machines. Stop it with Ctrl+C.

Options:
  -p, --port <n>              port (default 5173; 0 picks a free one)
  --host <address>            interface to bind (default 127.0.0.1)
${COMMON}`,
  "experiments list": `Usage: tracewright experiments list [--json]

List experiments with their ids and trace counts.
${COMMON}`,
};

/** Opens the configured store; a missing embedded database is an error, not created. */
function openStore(trackingUri: string | undefined): TraceStore {
  if (trackingUri) setTrackingUri(trackingUri);
  const uri = getTrackingUri();
  if (uri.toLowerCase().startsWith("sqlite:")) {
    const path = sqlitePathFromUri(uri);
    if (path !== ":memory:" && !existsSync(path)) {
      throw new CliError(
        `No trace database at ${path}. Run an application with tracing first, or pass --tracking-uri.`,
      );
    }
  }
  return getTraceStore();
}

async function resolveExperiment(store: TraceStore, nameOrId: string): Promise<string> {
  const byName = await store.getExperimentByName(nameOrId);
  if (byName) return byName.experimentId;
  const all = (await store.listExperiments?.()) ?? [];
  if (all.some((e) => e.experimentId === nameOrId)) return nameOrId;
  throw new CliError(`Unknown experiment "${nameOrId}". Run "tracewright experiments list" to see them.`);
}

async function experimentScope(store: TraceStore, experiment: string | undefined): Promise<string[]> {
  if (experiment !== undefined) return [await resolveExperiment(store, experiment)];
  const all = (await store.listExperiments?.()) ?? [];
  return all.length > 0 ? all.map((e) => e.experimentId) : ["0"];
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} expects a positive integer, got "${value}".`, 2);
  return n;
}

type Values = Record<string, string | boolean | undefined>;

async function tracesList(values: Values, io: Io): Promise<void> {
  const store = openStore(values["tracking-uri"] as string | undefined);
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
      truncate(t.info.tags["mlflow.traceName"] ?? "", 32),
      formatState(t.info.state),
      formatTime(t.info.requestTime),
      formatDuration(t.info.executionDuration),
      String(t.info.tokenUsage?.total_tokens ?? ""),
      truncate(tags, 40),
    ];
  });
  io.out(renderTable(["TRACE ID", "NAME", "STATE", "START", "DURATION", "TOKENS", "TAGS"], rows));
  if (page.nextPageToken) io.out(`(more traces exist; raise --max to see them)`);
}

async function tracesShow(values: Values, positionals: string[], io: Io): Promise<void> {
  const store = openStore(values["tracking-uri"] as string | undefined);
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
}

async function tracesDelete(values: Values, io: Io): Promise<void> {
  if (!values.experiment) throw new CliError("--experiment is required.", 2);
  const byIds = values.ids !== undefined;
  const byAge = values["older-than"] !== undefined;
  if (byIds === byAge) throw new CliError("Give exactly one of --ids or --older-than.", 2);
  const store = openStore(values["tracking-uri"] as string | undefined);
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
}

async function experimentsList(values: Values, io: Io): Promise<void> {
  const store = openStore(values["tracking-uri"] as string | undefined);
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
}

async function ui(values: Values, io: Io): Promise<void> {
  const raw = values.port as string | undefined;
  const port = raw === undefined ? 5173 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--port expects a port number from 0 to 65535, got "${raw}".`, 2);
  }
  if (values["tracking-uri"]) setTrackingUri(values["tracking-uri"] as string);
  // unlike the other commands, the viewer may start before any app wrote traces: it creates the store
  const store = getTraceStore();
  const { startUiServer } = await import("@tracewright/ui");
  const server = await startUiServer({
    store,
    port,
    ...(values.host !== undefined ? { host: values.host as string } : {}),
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE")
      throw new CliError(`Port ${port} is in use; pass --port <n> (or 0 for any free port).`);
    throw e;
  });
  io.out(`Tracewright UI for ${getTrackingUri()}: ${server.url}`);
  io.out("Press Ctrl+C to stop.");
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close().then(resolve, resolve);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

const OPTIONS = {
  "tracking-uri": { type: "string" },
  help: { type: "boolean", short: "h" },
  experiment: { type: "string", short: "e" },
  filter: { type: "string", short: "f" },
  max: { type: "string", short: "n" },
  order: { type: "string" },
  json: { type: "boolean" },
  last: { type: "boolean" },
  ids: { type: "string" },
  "older-than": { type: "string" },
  port: { type: "string", short: "p" },
  host: { type: "string" },
} as const;

const ALLOWED: Record<string, Array<keyof typeof OPTIONS>> = {
  "traces list": ["tracking-uri", "help", "experiment", "filter", "max", "order", "json"],
  "traces show": ["tracking-uri", "help", "experiment", "json", "last"],
  "traces delete": ["tracking-uri", "help", "experiment", "ids", "older-than", "max"],
  "experiments list": ["tracking-uri", "help", "json"],
  ui: ["tracking-uri", "help", "port", "host"],
};

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code: 0 on success,
 * 1 when the request failed (unknown id, bad filter, missing database), 2 on usage errors.
 */
export async function runCli(
  argv: string[],
  io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith("-"));
  const command = words[0] === "ui" ? "ui" : words.slice(0, 2).join(" ");
  if (!(command in ALLOWED)) {
    if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
      io.out(HELP.main as string);
      return argv.length === 0 ? 2 : 0;
    }
    io.err(`Unknown command "${words.join(" ") || argv.join(" ")}".\n\n${HELP.main}`);
    return 2;
  }
  const allowed = ALLOWED[command] as Array<keyof typeof OPTIONS>;
  const options = Object.fromEntries(allowed.map((k) => [k, OPTIONS[k]]));
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${HELP[command]}`);
    return 2;
  }
  if (values.help) {
    io.out(HELP[command] as string);
    return 0;
  }
  const rest = positionals.slice(command === "ui" ? 1 : 2);
  try {
    if (command === "traces list") await tracesList(values, io);
    else if (command === "traces show") await tracesShow(values, rest, io);
    else if (command === "traces delete") await tracesDelete(values, io);
    else if (command === "ui") await ui(values, io);
    else await experimentsList(values, io);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof InvalidFilterError || e instanceof TraceNotFoundError || e instanceof TracewrightError) {
      io.err(`error: ${e.message}`);
      return 1;
    }
    io.err(`error: ${(e as Error).message ?? String(e)}`);
    return 1;
  }
}
