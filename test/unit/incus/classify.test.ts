import { describe, expect, it } from "vitest";
import { classifyEnding, type JobEnding } from "../../../src/executor/incus/classify.js";

const base: JobEnding = {
  aborted: false,
  hostDeadline: false,
  error: null,
  runnerExit: 0,
  resultText: null,
  timeoutSecs: 60,
};
const result = (status: string, exit: number, message: string) =>
  JSON.stringify({
    schema_version: 1,
    status,
    exit_code: exit,
    finished_at: "2026-01-01T00:00:00Z",
    message,
  });

describe("classifyEnding", () => {
  it("passes when result.json says passed", () => {
    expect(classifyEnding({ ...base, resultText: result("passed", 0, "command exited 0") })).toEqual({
      status: "passed",
      failure_kind: null,
      exit_code: 0,
      message: null,
    });
  });

  it("is a test_failure when the guest ran and exited non-zero", () => {
    expect(
      classifyEnding({ ...base, runnerExit: 3, resultText: result("failed", 3, "command exited 3") }),
    ).toEqual({
      status: "failed",
      failure_kind: "test_failure",
      exit_code: 3,
      message: "command exited 3",
    });
  });

  it("is a timeout for runner exit 124 or the host deadline", () => {
    expect(
      classifyEnding({ ...base, runnerExit: 124, resultText: result("failed", 124, "timed out after 2s") })
        .failure_kind,
    ).toBe("timeout");
    expect(classifyEnding({ ...base, runnerExit: 124, resultText: null }).failure_kind).toBe("timeout");
    expect(classifyEnding({ ...base, hostDeadline: true, error: "ssh gone" })).toMatchObject({
      failure_kind: "timeout",
      exit_code: null,
    });
  });

  it("is infrastructure for a runner bootstrap error, a missing or broken result.json, or an error", () => {
    const bootstrap = classifyEnding({
      ...base,
      runnerExit: 2,
      resultText: result("failed", 2, "bootstrap error: no setsid"),
    });
    expect(bootstrap).toMatchObject({
      failure_kind: "infrastructure",
      message: "guest runner bootstrap error: no setsid",
    });
    expect(classifyEnding({ ...base, runnerExit: 127, resultText: null })).toMatchObject({
      failure_kind: "infrastructure",
      message: expect.stringContaining("runner exited 127"),
    });
    expect(classifyEnding({ ...base, resultText: "{not json" }).failure_kind).toBe("infrastructure");
    expect(classifyEnding({ ...base, resultText: '{"status":"passed"}' }).failure_kind).toBe(
      "infrastructure",
    );
    expect(classifyEnding({ ...base, error: "ssh connection to build host h:22 lost" })).toMatchObject({
      failure_kind: "infrastructure",
      message: "ssh connection to build host h:22 lost",
    });
  });

  it("a non-zero exit 2 without the bootstrap marker is the command's own failure", () => {
    expect(
      classifyEnding({ ...base, runnerExit: 2, resultText: result("failed", 2, "command exited 2") })
        .failure_kind,
    ).toBe("test_failure");
  });

  it("cancellation wins over everything", () => {
    expect(classifyEnding({ ...base, aborted: true, hostDeadline: true, error: "x" })).toMatchObject({
      status: "cancelled",
      failure_kind: null,
    });
  });
});
