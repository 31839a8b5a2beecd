import { describe, expect, it } from "vitest";
import { renderTestsSection } from "../../../src/pages/tests-section.js";
import type { JobRecord, TestCaseRecord } from "../../../src/schema/index.js";

const tc = (
  name: string,
  status: TestCaseRecord["status"],
  ms: number,
  extra: Partial<TestCaseRecord> = {},
) =>
  ({
    suite: "calc.bats",
    name,
    classname: null,
    status,
    duration_ms: ms,
    file: status === "passed" ? null : "test/calc.bats",
    line: status === "passed" ? null : 9,
    message: status === "passed" ? null : `${name} <failed>`,
    details: null,
    system_out: null,
    ...extra,
  }) satisfies TestCaseRecord;

const job = {
  id: "bats",
  tests: {
    counts: { total: 5, passed: 3, failed: 2, errors: 0, skipped: 0, duration_ms: 40 },
    reports: ["outputs/report.xml"],
    failed: [
      tc("subtracts wrongly", "failed", 8),
      tc("prints <loudly>", "failed", 4, { flaky_passed_on: "abcdef1234" }),
    ],
    failed_truncated: 0,
    slowest: [tc("slow one", "passed", 20), tc("fast one", "passed", 1)],
    warnings: [],
  },
} as unknown as JobRecord;

describe("run page: tests section", () => {
  it("lists failed tests first, then the slowest, escaped, with the flaky label", () => {
    const out = renderTestsSection({ jobs: [job], query: "", sig: "s1g" }).toString();
    const order = ["subtracts wrongly", "prints &lt;loudly&gt;", "slow one", "fast one"].map((n) =>
      out.indexOf(n),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(out).toContain("known flaky (passed on re-run of abcdef1)");
    expect(out).toContain("test/calc.bats:9");
    expect(out).toContain('name="sig" value="s1g"');
    expect(out).not.toContain("<loudly>");
  });

  it("filters on the server by the query string", () => {
    const out = renderTestsSection({ jobs: [job], query: "SLOW", sig: "s" }).toString();
    expect(out).toContain("slow one");
    expect(out).not.toContain("subtracts wrongly");
    expect(out).toContain('value="SLOW"');
    const none = renderTestsSection({ jobs: [job], query: "zzz", sig: "s" }).toString();
    expect(none).toContain("No listed test matches the filter.");
  });

  it("renders nothing for lanes without test results", () => {
    expect(
      renderTestsSection({ jobs: [{ lane_id: "x" } as JobRecord], query: "", sig: "s" }).toString(),
    ).toBe("");
  });
});
