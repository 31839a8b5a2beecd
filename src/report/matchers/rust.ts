import type { Problem, ProblemMatcher } from "./problem.js";

// rustc/cargo: `error[E0308]: mismatched types` then ` --> src/main.rs:4:18` a line or two later.
const HEADER = /^(error|warning)(?:\[(E\d+)\])?: (.*)$/;
const LOCATION = /^\s*--> (.+?):(\d+):(\d+)\s*$/;
// A failing test's panic: `thread 'x' panicked at src/lib.rs:10:9:` (new) or `panicked at 'msg', src/lib.rs:10:9` (old).
const PANIC_NEW = /^thread '([^']+)' panicked at (.+?):(\d+):(\d+):\s*$/;
const PANIC_OLD = /^thread '([^']+)' panicked at '(.*)', (.+?):(\d+):(\d+)\s*$/;
const LOOKAHEAD = 3;

export const rustMatcher: ProblemMatcher = (lines) => {
  const problems: Problem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = HEADER.exec(line);
    if (header) {
      // Summary lines such as "error: could not compile `x`" have no location and are skipped.
      for (let j = i + 1; j <= i + LOOKAHEAD && j < lines.length; j++) {
        const loc = LOCATION.exec(lines[j]!);
        if (!loc) continue;
        problems.push({
          file: loc[1]!,
          line: Number(loc[2]),
          column: Number(loc[3]),
          severity: header[1] as Problem["severity"],
          message: header[3]!,
          title: header[2] ? `rustc ${header[2]}` : "rustc",
        });
        break;
      }
      continue;
    }
    const panicNew = PANIC_NEW.exec(line);
    if (panicNew) {
      problems.push({
        file: panicNew[2]!,
        line: Number(panicNew[3]),
        column: Number(panicNew[4]),
        severity: "error",
        message: `test ${panicNew[1]} panicked: ${lines[i + 1]?.trim() ?? ""}`.trim(),
        title: "cargo test",
      });
      continue;
    }
    const panicOld = PANIC_OLD.exec(line);
    if (panicOld) {
      problems.push({
        file: panicOld[3]!,
        line: Number(panicOld[4]),
        column: Number(panicOld[5]),
        severity: "error",
        message: `test ${panicOld[1]} panicked: ${panicOld[2]}`,
        title: "cargo test",
      });
    }
  }
  return problems;
};
