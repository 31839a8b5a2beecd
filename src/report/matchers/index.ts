import { stripAnsi } from "../ansi.js";
import { eslintMatcher } from "./eslint.js";
import { genericMatcher } from "./generic.js";
import { goMatcher } from "./go.js";
import type { Problem, ProblemMatcher } from "./problem.js";
import { pytestMatcher } from "./pytest.js";
import { rustMatcher } from "./rust.js";
import { tscMatcher } from "./tsc.js";

export type { Problem, ProblemMatcher } from "./problem.js";

export const MATCHERS: Record<string, ProblemMatcher> = {
  tsc: tscMatcher,
  eslint: eslintMatcher,
  rust: rustMatcher,
  go: goMatcher,
  pytest: pytestMatcher,
  generic: genericMatcher,
};

/** Every problem every matcher finds in a log, deduplicated by location and message. */
export function findProblems(
  log: string,
  matchers: readonly ProblemMatcher[] = Object.values(MATCHERS),
): Problem[] {
  const lines = stripAnsi(log).split("\n");
  const seen = new Set<string>();
  const found: Problem[] = [];
  for (const matcher of matchers) {
    for (const p of matcher(lines)) {
      const key = `${p.file}\0${p.line}\0${p.column ?? ""}\0${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(p);
    }
  }
  return found;
}
