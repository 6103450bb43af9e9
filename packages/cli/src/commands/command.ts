import type { ParseArgsOptionDescriptor } from "node:util";

/** Where a command writes: one line of text per call. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Parsed option values, as `node:util`'s `parseArgs` returns them. */
export type Values = Record<string, string | boolean | undefined>;

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * One CLI command, declared in one place: the words that name it, its help text, the options it
 * takes and what it does. `run.ts` only dispatches to these.
 */
export interface Command {
  /** The words that select it, e.g. `traces list`. */
  readonly name: string;
  /** One line for the main help's command list. */
  readonly summary: string;
  /** The command's `--help` text, without the options common to every command. */
  readonly help: string;
  /** Its own options (the common ones, `--tracking-uri` and `--help`, are added by the dispatcher). */
  readonly options: Record<string, ParseArgsOptionDescriptor>;
  /** Runs it with the parsed options and the positionals after the command's words. */
  run(values: Values, positionals: string[], io: Io): Promise<void>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: Record<string, ParseArgsOptionDescriptor> = {
  "tracking-uri": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Their help text, appended to every command's. */
export const COMMON_HELP = `
Options for every command:
  --tracking-uri <uri>   store to read (default: $TRACEWRIGHT_TRACKING_URI, $MLFLOW_TRACKING_URI,
                         or sqlite:.tracewright/traces.db)
  -h, --help             show help`;
