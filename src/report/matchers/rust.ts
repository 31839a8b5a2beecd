import { type Problem, type ProblemMatcher, problemAt } from "./problem.js";

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
        const title = header[2] ? `rustc ${header[2]}` : "rustc";
        problems.push(
          problemAt(loc, 1, { severity: header[1] as Problem["severity"], message: header[3]!, title }),
        );
        break;
      }
      continue;
    }
    const panicNew = PANIC_NEW.exec(line);
    if (panicNew) {
      const message = `test ${panicNew[1]} panicked: ${lines[i + 1]?.trim() ?? ""}`.trim();
      problems.push(problemAt(panicNew, 2, { severity: "error", message, title: "cargo test" }));
      continue;
    }
    const panicOld = PANIC_OLD.exec(line);
    if (panicOld) {
      const message = `test ${panicOld[1]} panicked: ${panicOld[2]}`;
      problems.push(problemAt(panicOld, 3, { severity: "error", message, title: "cargo test" }));
    }
  }
  return problems;
};
