import { type Problem, type ProblemMatcher, problemAt } from "./problem.js";

// go test: `--- FAIL: TestAdd (0.00s)` then indented `    add_test.go:12: message` lines (file relative to the package).
const FAIL = /^\s*--- FAIL: (\S+)/;
const TEST_LINE = /^\s+([\w./-]+_test\.go):(\d+): (.*)$/;
// go build / go vet: `./main.go:12:5: undefined: x`.
const BUILD = /^(?:# \S+\s*)?((?:\.{0,2}\/)?[\w./-]+\.go):(\d+):(\d+): (.*)$/;

export const goMatcher: ProblemMatcher = (lines) => {
  const problems: Problem[] = [];
  let test: string | undefined;
  for (const line of lines) {
    const fail = FAIL.exec(line);
    if (fail) {
      test = fail[1];
      continue;
    }
    const t = test ? TEST_LINE.exec(line) : null;
    if (t) {
      problems.push({
        file: t[1]!,
        line: Number(t[2]),
        severity: "error",
        message: `${test}: ${t[3]}`,
        title: "go test",
      });
      continue;
    }
    const build = BUILD.exec(line);
    if (build) {
      problems.push(problemAt(build, 1, { severity: "error", message: build[4]!, title: "go build" }));
    }
  }
  return problems;
};
