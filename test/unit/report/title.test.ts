import { describe, expect, it } from "vitest";
import { formatDuration } from "../../../src/report/duration.js";
import { parseFailedTestCount } from "../../../src/report/test-counts.js";
import { conclusionFor, type LaneResult, laneTitle } from "../../../src/report/title.js";

const base: LaneResult = {
  status: "failed",
  failure_kind: "test_failure",
  exit_code: 3,
  duration_ms: 134_000,
  timeout_secs: 1800,
  message: null,
};

describe("laneTitle", () => {
  it("says how many tests failed when the count is known", () => {
    expect(laneTitle(base, 3)).toBe("3 tests failed in 2m14s");
    expect(laneTitle(base, 1)).toBe("1 test failed in 2m14s");
  });

  it("falls back to the exit code", () => {
    expect(laneTitle(base)).toBe("Failed (exit 3) in 2m14s");
  });

  it("names timeouts, infrastructure errors, passes and skips", () => {
    expect(laneTitle({ ...base, failure_kind: "timeout" })).toBe("Timed out after 30m");
    expect(
      laneTitle({
        ...base,
        failure_kind: "infrastructure",
        message: "build host unreachable\nssh: ECONNREFUSED",
      }),
    ).toBe("Infrastructure error: build host unreachable");
    expect(laneTitle({ ...base, status: "passed", exit_code: 0, duration_ms: 62_000 })).toBe(
      "Passed in 1m02s",
    );
    expect(laneTitle({ ...base, status: "skipped", message: "no changed file matches paths" })).toBe(
      "Skipped: no changed file matches paths",
    );
  });

  it("is at most 255 characters", () => {
    expect(
      Array.from(laneTitle({ ...base, failure_kind: "infrastructure", message: "x".repeat(1000) })),
    ).toHaveLength(255);
  });
});

describe("conclusionFor", () => {
  it("maps statuses and failure kinds to check conclusions", () => {
    expect(conclusionFor({ status: "passed", failure_kind: null })).toBe("success");
    expect(conclusionFor({ status: "failed", failure_kind: "timeout" })).toBe("timed_out");
    expect(conclusionFor({ status: "failed", failure_kind: "infrastructure" })).toBe("failure");
    expect(conclusionFor({ status: "cancelled", failure_kind: null })).toBe("cancelled");
    expect(conclusionFor({ status: "skipped", failure_kind: null })).toBe("skipped");
    expect(conclusionFor({ status: "running", failure_kind: null })).toBe("failure");
  });
});

describe("formatDuration", () => {
  it("is short", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(4_140)).toBe("4.1s");
    expect(formatDuration(3_000)).toBe("3s");
    expect(formatDuration(14_000)).toBe("14s");
    expect(formatDuration(120_000)).toBe("2m");
    expect(formatDuration(3_720_000)).toBe("1h02m");
    expect(formatDuration(null)).toBe("?");
  });
});

describe("parseFailedTestCount", () => {
  it("reads cargo, summing crates", () => {
    const log =
      "test result: FAILED. 10 passed; 2 failed; 0 ignored\ntest result: FAILED. 1 passed; 1 failed; 0 ignored";
    expect(parseFailedTestCount(log)).toBe(3);
  });
  it("reads pytest, vitest, jest, mocha and go test", () => {
    expect(parseFailedTestCount("=========== 3 failed, 10 passed in 1.23s ===========")).toBe(3);
    expect(parseFailedTestCount(" Test Files  1 failed (1)\n      Tests  4 failed | 10 passed (14)")).toBe(4);
    expect(parseFailedTestCount("Tests:       5 failed, 10 passed, 15 total")).toBe(5);
    expect(parseFailedTestCount("  12 passing (2s)\n  2 failing\n")).toBe(2);
    expect(
      parseFailedTestCount(
        "--- FAIL: TestA (0.00s)\n--- FAIL: TestB (0.01s)\n    --- FAIL: TestB/sub (0.00s)\nFAIL",
      ),
    ).toBe(2);
  });
  it("is undefined when no runner summary is present", () => {
    expect(parseFailedTestCount("make: *** [all] Error 2")).toBeUndefined();
  });
});
