import { describe, expect, it } from "vitest";
import { type FinalJob, renderFinalReport } from "../../../src/report/check-output.js";
import { renderJobSummary } from "../../../src/report/job-summary.js";
import { testAnnotations } from "../../../src/report/test-results.js";
import type { LaneTestResults, TestCaseRecord } from "../../../src/schema/index.js";

function failedCase(i: number, extra: Partial<TestCaseRecord> = {}): TestCaseRecord {
  return {
    suite: "math.test.ts",
    name: `case ${i} | with pipe`,
    classname: null,
    status: "failed",
    duration_ms: 12,
    file: "src/math.test.ts",
    line: 10 + i,
    message: `expected ${i} to be 0\nsecond line\nthird line\nfourth line`,
    details: "AssertionError: …",
    system_out: null,
    ...extra,
  };
}

function tests(failed: TestCaseRecord[], total = 412): LaneTestResults {
  return {
    counts: {
      total,
      passed: total - failed.length,
      failed: failed.length,
      errors: 0,
      skipped: 0,
      duration_ms: 900,
    },
    reports: ["outputs/junit.xml"],
    failed,
    failed_truncated: 0,
    slowest: [],
    warnings: [],
  };
}

const job = (t: LaneTestResults, status: "failed" | "passed" = "failed"): FinalJob => ({
  lane_id: "unit",
  status,
  failure_kind: status === "failed" ? "test_failure" : null,
  exit_code: status === "failed" ? 1 : 0,
  duration_ms: 134_000,
  timeout_secs: 600,
  message: status === "failed" ? "exited with code 1" : null,
  phases: [],
  executor: "incus",
  tests: t,
});

describe("per-test results in the check run", () => {
  it("titles the lane with the failed and total counts and lists the failures", () => {
    const report = renderFinalReport({
      job: job(tests([failedCase(1), failedCase(2), failedCase(3)])),
      guestLog: "",
    });
    expect(report.output.title).toBe("3 of 412 tests failed in 2m14s");
    expect(report.failedTests).toBe(3);
    expect(report.output.summary).toContain("### Failed tests (3)");
    expect(report.output.summary).toContain(
      "| math.test.ts | case 1 \\| with pipe | expected 1 to be 0<br>second line<br>third line | 12ms |",
    );
    expect(report.output.summary).not.toContain("fourth line");
  });

  it("a passing lane with tests says how many passed", () => {
    const report = renderFinalReport({ job: job(tests([], 40), "passed"), guestLog: "" });
    expect(report.output.title).toBe("40 tests passed in 2m14s");
  });

  it("cuts the table to GitHub's 65,535-byte limit and links the run page for the rest", () => {
    const many = Array.from({ length: 2000 }, (_, i) => failedCase(i, { message: "x".repeat(380) }));
    const report = renderFinalReport({
      job: job(tests(many, 5000)),
      guestLog: "",
      testsUrl: "https://ci.example/runs/1",
    });
    const bytes = Buffer.byteLength(report.output.summary);
    expect(bytes).toBeLessThanOrEqual(65_535);
    expect(bytes).toBeGreaterThan(60_000);
    expect(report.output.summary).toMatch(
      /…and \d+ more failed tests: see \[the run page\]\(https:\/\/ci\.example\/runs\/1\)\./,
    );
    expect(report.output.summary).not.toContain("(truncated)");
  });

  it("labels a known flaky test in the table and its annotation", () => {
    const t = tests([failedCase(1, { flaky_passed_on: "0123456789abcdef0123456789abcdef01234567" })]);
    const report = renderFinalReport({ job: job(t), guestLog: "" });
    expect(report.output.summary).toContain("**known flaky (passed on re-run of 0123456)**");
    const [annotation] = testAnnotations(t);
    expect(annotation).toMatchObject({
      path: "src/math.test.ts",
      start_line: 11,
      annotation_level: "failure",
      title: "known flaky (passed on re-run of 0123456): math.test.ts › case 1 | with pipe",
    });
  });

  it("annotates only failures that have a location, masking secrets", () => {
    const t = tests([
      failedCase(1, { message: "token s3cr3t leaked" }),
      failedCase(2, { file: null, line: null }),
    ]);
    const annotations = testAnnotations(t, ["s3cr3t"]);
    expect(annotations).toHaveLength(1);
    expect(annotations[0]!.message).not.toContain("s3cr3t");
  });

  it("the job summary gets the totals", () => {
    const summary = renderJobSummary({
      run: {
        run_id: "20260101T000000Z-00000000",
        status: "failed",
        host: null,
        jobs: [
          {
            ...job(tests([failedCase(1), failedCase(2)], 30)),
            tests: tests([failedCase(1), failedCase(2)], 30),
          } as never,
        ],
      },
    });
    expect(summary).toContain("**Tests:** 2 of 30 failed, in 1 lane");
  });
});
