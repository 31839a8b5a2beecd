import type { Problem, ProblemMatcher } from "./problem.js";

// pytest's traceback ends each failure with `tests/test_x.py:12: AssertionError`, preceded by `E   …` lines.
const LOCATION = /^(\S+\.py):(\d+): (\w+)$/;
const DETAIL = /^E\s+(.*)$/;

export const pytestMatcher: ProblemMatcher = (lines) => {
  const problems: Problem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = LOCATION.exec(lines[i]!);
    if (!m) continue;
    const details: string[] = [];
    // pytest leaves a blank line between the `E` lines and the location.
    let j = i - 1;
    while (j >= 0 && lines[j]!.trim() === "" && j > i - 3) j--;
    for (; j >= 0; j--) {
      const d = DETAIL.exec(lines[j]!);
      if (!d) break;
      details.unshift(d[1]!);
    }
    problems.push({
      file: m[1]!,
      line: Number(m[2]),
      severity: "error",
      message: details.length > 0 ? details.join("\n") : m[3]!,
      title: `pytest ${m[3]}`,
    });
  }
  return problems;
};
