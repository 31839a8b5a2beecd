import { type Problem, type ProblemMatcher, problemAt } from "./problem.js";

// `src/a.ts(12,5): error TS2322: msg` (plain) and `src/a.ts:12:5 - error TS2322: msg` (--pretty).
const PLAIN = /^(.+?\.[cm]?tsx?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/;
const PRETTY = /^(.+?\.[cm]?tsx?):(\d+):(\d+) - (error|warning) (TS\d+): (.*)$/;

export const tscMatcher: ProblemMatcher = (lines) => {
  const problems: Problem[] = [];
  for (const line of lines) {
    const m = PLAIN.exec(line) ?? PRETTY.exec(line);
    if (!m) continue;
    problems.push(
      problemAt(m, 1, { severity: m[4] as Problem["severity"], message: m[6]!, title: `tsc ${m[5]}` }),
    );
  }
  return problems;
};
