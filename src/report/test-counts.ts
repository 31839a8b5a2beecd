/**
 * How many tests failed, read from the summary lines common test runners print. The last match
 * wins (a summary comes at the end), and runners that print one summary per crate/package are
 * summed. Undefined when no runner's summary is recognised.
 */
interface CountRule {
  pattern: RegExp;
  /** Sum every match (one summary per crate/package) instead of taking the last. */
  sum?: boolean;
}

const RULES: CountRule[] = [
  // cargo test: "test result: FAILED. 10 passed; 3 failed; 0 ignored"
  { pattern: /^test result: FAILED\. \d+ passed; (\d+) failed/gm, sum: true },
  // pytest: "==== 3 failed, 10 passed in 1.23s ====" / "=== 1 failed in 0.1s ==="
  { pattern: /^=+ (?:.*?\b)?(\d+) failed\b.* in [\d.]+s.*=+\s*$/gm },
  // vitest: " Tests  3 failed | 10 passed (13)"; jest: "Tests:       3 failed, 10 passed, 13 total"
  { pattern: /^\s*Tests:?\s+(\d+) failed\b/gm },
  // mocha: "  3 failing"
  { pattern: /^\s+(\d+) failing\s*$/gm },
  // go test: one "--- FAIL: TestName" per failed (sub)test; only top-level ones are counted.
  { pattern: /^--- FAIL: \S+/gm, sum: true },
];

export function parseFailedTestCount(log: string): number | undefined {
  for (const rule of RULES) {
    const matches = [...log.matchAll(rule.pattern)];
    if (matches.length === 0) continue;
    if (rule.sum) {
      return matches.reduce((total, m) => total + (m[1] === undefined ? 1 : Number(m[1])), 0);
    }
    return Number(matches[matches.length - 1]![1]);
  }
  return undefined;
}
