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

/**
 * A problem at the location a matcher's regex captured as three consecutive groups from `first`:
 * file, line and column (the column group may be absent).
 */
export function problemAt(
  match: RegExpExecArray,
  first: number,
  what: Pick<Problem, "severity" | "message" | "title">,
): Problem {
  const column = match[first + 2];
  return {
    file: match[first]!,
    line: Number(match[first + 1]),
    ...(column === undefined ? {} : { column: Number(column) }),
    ...what,
  };
}
