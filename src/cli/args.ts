import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "../errors/index.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `node:util` parseArgs, strict, with its errors turned into UsageErrors that point at
 * `pikaci <command> --help`.
 */
export function parseCommandArgs<T extends Options>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(`pikaci ${command}: ${(error as Error).message}`, {
      hint: `see \`pikaci ${command} --help\``,
    });
  }
}
