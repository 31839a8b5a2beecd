import type { Problem, ProblemMatcher } from "./problem.js";

// gcc/clang and many others: `path/file.c:12:5: error: message` (also `fatal error:` and `warning:`).
const GENERIC = /^([^\s:][^:]*):(\d+):(\d+):\s*(fatal error|error|warning)\s*:?\s+(.*)$/;

export const genericMatcher: ProblemMatcher = (lines) => {
  const problems: Problem[] = [];
  for (const line of lines) {
    const m = GENERIC.exec(line);
    if (!m) continue;
    problems.push({
      file: m[1]!,
      line: Number(m[2]),
      column: Number(m[3]),
      severity: m[4] === "warning" ? "warning" : "error",
      message: m[5]!,
      title: m[4] === "warning" ? "warning" : "error",
    });
  }
  return problems;
};
