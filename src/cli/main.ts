import { closestMatch } from "../config/index.js";
import {
  CancelledError,
  ConfigError,
  InfrastructureError,
  PikaciError,
  UsageError,
} from "../errors/index.js";
import { commands } from "./commands/index.js";
import type { CliIO, Command } from "./io.js";
import { VERSION } from "./version.js";

export type { CliIO, Command } from "./io.js";

export function renderUsage(list: readonly Command[] = commands): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: pikaci <command> [options]

Run CI lanes in throw-away Incus instances on a build host over SSH.

Commands:
${lines.join("\n")}

Options:
  -h, --help      show this help (or \`pikaci <command> --help\`)
      --version   print the version

Environment:
  PIKACI_STATE_ROOT   where runs are recorded (default: ./.pikaci)
  PIKACI_DEBUG=1      print stack traces for unexpected errors
`;
}

/** The CLI's one error boundary: every command's errors are turned into a message and exit code here. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return report(error, io);
  }
}

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(renderUsage());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const suggestion = closestMatch(
      name,
      commands.map((c) => c.name),
    );
    throw new UsageError(`unknown command \`${name}\``, {
      hint: suggestion
        ? `did you mean \`pikaci ${suggestion}\`?`
        : "run `pikaci --help` for the list of commands",
    });
  }
  const beforeDoubleDash = rest.indexOf("--") === -1 ? rest : rest.slice(0, rest.indexOf("--"));
  if (beforeDoubleDash.includes("--help") || beforeDoubleDash.includes("-h")) {
    io.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return command.run(rest, io);
}

function report(error: unknown, io: CliIO): number {
  const hint = error instanceof PikaciError && error.hint ? `\n  hint: ${error.hint}` : "";
  if (error instanceof ConfigError) {
    io.stderr.write(`${error.message}\n${error.issues.length} problem(s) found\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    io.stderr.write(`error: ${error.message}${hint}\n`);
    return 2;
  }
  if (error instanceof CancelledError) {
    io.stderr.write(`cancelled: ${error.message}\n`);
    return 130;
  }
  if (error instanceof InfrastructureError) {
    io.stderr.write(`infrastructure error: ${error.message}${hint}\n`);
  } else {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
  }
  if (io.env.PIKACI_DEBUG === "1" && error instanceof Error && error.stack)
    io.stderr.write(`${error.stack}\n`);
  return 1;
}
