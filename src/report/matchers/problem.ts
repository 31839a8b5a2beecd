/** A diagnostic found in a log: where, how bad, and what the tool said. */
export interface Problem {
  /** As printed by the tool: absolute, relative to its working directory, or a bare file name. */
  file: string;
  line: number;
  column?: number;
  severity: "error" | "warning";
  message: string;
  /** Tool and code, e.g. "tsc TS2322" or "eslint no-unused-vars". */
  title: string;
}

/** A matcher reads the whole (ANSI-stripped) log as lines, so it can pair a message with a later location. */
export type ProblemMatcher = (lines: readonly string[]) => Problem[];
