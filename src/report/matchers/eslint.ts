import type { Problem, ProblemMatcher } from "./problem.js";

// The default "stylish" format: a file path on its own line, then indented `line:col  level  message  rule`.
const FILE = /^(\/\S.*|[A-Za-z]:\\\S.*|\S+\.(?:[cm]?[jt]sx?|vue|svelte|astro|json|md))\s*$/;
const ENTRY = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}(@?[\w/-]+))?\s*$/;

export const eslintMatcher: ProblemMatcher = (lines) => {
  const problems: Problem[] = [];
  let file: string | undefined;
  for (const line of lines) {
    const entry = file ? ENTRY.exec(line) : null;
    if (entry && file) {
      problems.push({
        file,
        line: Number(entry[1]),
        column: Number(entry[2]),
        severity: entry[3] as Problem["severity"],
        message: entry[4]!,
        title: entry[5] ? `eslint ${entry[5]}` : "eslint",
      });
      continue;
    }
    const header = FILE.exec(line);
    // Any other line ends the current file's block (the summary "✖ 3 problems" included).
    file = header ? header[1]!.trim() : undefined;
  }
  return problems;
};
