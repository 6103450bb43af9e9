import { parseArgs } from "node:util";
import { InvalidFilterError, TraceNotFoundError, TracewrightError } from "@tracewright/core";
import { CliError, COMMON_HELP, COMMON_OPTIONS, type Command, type Io, type Values } from "./commands/command.js";
import { experimentsList } from "./commands/experiments-list.js";
import { tracesDelete } from "./commands/traces-delete.js";
import { tracesList } from "./commands/traces-list.js";
import { tracesShow } from "./commands/traces-show.js";
import { ui } from "./commands/ui.js";

export { CliError } from "./commands/command.js";

/** Every command, in the order the main help lists them. */
const COMMANDS: readonly Command[] = [tracesList, tracesShow, tracesDelete, experimentsList, ui];

const MAIN_HELP = `Usage: tracewright <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(21)}  ${c.summary}`).join("\n")}

Run "tracewright <command> --help" for a command's options.`;

const helpOf = (command: Command): string => `${command.help}\n${COMMON_HELP}`;

/** The command named by the first words of `argv` (one word for `ui`, two for the others). */
function findCommand(argv: string[]): { command: Command | undefined; words: string[] } {
  const words = argv.filter((a) => !a.startsWith("-"));
  const command = COMMANDS.find((c) => {
    const name = c.name.split(" ");
    return name.every((w, i) => words[i] === w);
  });
  return { command, words };
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code: 0 on success,
 * 1 when the request failed (unknown id, bad filter, missing database), 2 on usage errors.
 */
export async function runCli(
  argv: string[],
  io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
): Promise<number> {
  const { command, words } = findCommand(argv);
  if (!command) {
    if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
      io.out(MAIN_HELP);
      return argv.length === 0 ? 2 : 0;
    }
    io.err(`Unknown command "${words.join(" ") || argv.join(" ")}".\n\n${MAIN_HELP}`);
    return 2;
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${helpOf(command)}`);
    return 2;
  }
  if (values.help) {
    io.out(helpOf(command));
    return 0;
  }
  try {
    await command.run(values, positionals.slice(command.name.split(" ").length), io);
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
