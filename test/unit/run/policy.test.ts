import { describe, expect, it } from "vitest";
import { exitCodeOf, runStatusOf, shouldRetry } from "../../../src/run/policy.js";
import { pickRunnable } from "../../../src/run/schedule.js";

const task = (id: string, group: string | null = null) => ({ id, group });

describe("pickRunnable", () => {
  it("fills only the free slots, in queue order", () => {
    const queued = [task("a"), task("b"), task("c")];
    expect(pickRunnable(queued, [task("x")], 3).map((t) => t.id)).toEqual(["a", "b"]);
    expect(pickRunnable(queued, [task("x"), task("y"), task("z")], 3)).toEqual([]);
  });

  it("passes over a task whose group is busy without blocking the queue", () => {
    const queued = [task("a", "db"), task("b", "db"), task("c")];
    expect(pickRunnable(queued, [], 8).map((t) => t.id)).toEqual(["a", "c"]);
    expect(pickRunnable(queued, [task("r", "db")], 8).map((t) => t.id)).toEqual(["c"]);
  });

  it("never picks more than the concurrency even with nothing running", () => {
    expect(pickRunnable([task("a"), task("b")], [], 1).map((t) => t.id)).toEqual(["a"]);
    expect(pickRunnable([task("a")], [], 0)).toEqual([]);
  });
});

describe("shouldRetry", () => {
  it("retries infrastructure failures up to the limit, and nothing else", () => {
    const infra = { status: "failed" as const, failure_kind: "infrastructure" as const };
    expect(shouldRetry(infra, 1, 1)).toBe(true);
    expect(shouldRetry(infra, 2, 1)).toBe(false);
    expect(shouldRetry(infra, 1, 0)).toBe(false);
    expect(shouldRetry({ status: "failed", failure_kind: "test_failure" }, 1, 3)).toBe(false);
    expect(shouldRetry({ status: "failed", failure_kind: "timeout" }, 1, 3)).toBe(false);
    expect(shouldRetry({ status: "cancelled", failure_kind: null }, 1, 3)).toBe(false);
  });
});

describe("runStatusOf", () => {
  const jobs = (...statuses: string[]) => statuses.map((status) => ({ status }) as { status: never });
  it("derives the run status from its jobs", () => {
    expect(runStatusOf(jobs("passed", "skipped"), false)).toBe("passed");
    expect(runStatusOf(jobs("passed", "failed", "running"), false)).toBe("failed");
    expect(runStatusOf(jobs("passed", "queued"), false)).toBe("running");
    expect(runStatusOf(jobs("skipped", "skipped"), false)).toBe("skipped");
    expect(runStatusOf(jobs(), false)).toBe("skipped");
    expect(runStatusOf(jobs("passed", "failed"), true)).toBe("cancelled");
  });

  it("maps run statuses to CLI exit codes", () => {
    expect([
      exitCodeOf("passed"),
      exitCodeOf("skipped"),
      exitCodeOf("failed"),
      exitCodeOf("cancelled"),
    ]).toEqual([0, 0, 1, 1]);
  });
});
