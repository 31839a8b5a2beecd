/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTTY: boolean;
}

export interface Command {
  name: string;
  /** One line for `pikaci --help`. */
  summary: string;
  /** The full text for `pikaci <name> --help`. */
  usage: string;
  /** Returns the exit code. Throws PikaciError subclasses for usage, config and infrastructure problems. */
  run(args: string[], io: CliIO): Promise<number>;
}
