import type { Executor, JobOutcome, JobSpec } from "../../../src/executor/executor.js";

export type FakeBehaviour = (
  job: JobSpec,
  signal: AbortSignal,
) => Promise<Pick<JobOutcome, "status" | "failure_kind" | "exit_code" | "message">>;

/** An Executor that tracks overlap and lets each test script what a job does. */
export function fakeExecutor(behaviour: FakeBehaviour) {
  const active = new Set<string>();
  const stats = { maxActive: 0, overlaps: [] as string[][], calls: [] as { job: string; attempt: number }[] };
  const executor: Executor = {
    kind: "local",
    async runJob(job, events, signal) {
      const startedAt = new Date().toISOString();
      active.add(job.lane_id);
      stats.maxActive = Math.max(stats.maxActive, active.size);
      stats.overlaps.push([...active]);
      stats.calls.push({ job: job.lane_id, attempt: job.attempt });
      events.phase("launch_guest", "started", null);
      events.log("guest", `hello from ${job.lane_id} attempt ${job.attempt}\n`);
      try {
        const result = await behaviour(job, signal);
        events.phase("launch_guest", "finished", 1);
        return {
          ...result,
          phases: [
            {
              phase: "launch_guest",
              started_at: startedAt,
              finished_at: new Date().toISOString(),
              duration_ms: 1,
              status: "ok",
            },
          ],
          started_at: startedAt,
          finished_at: new Date().toISOString(),
        };
      } finally {
        active.delete(job.lane_id);
      }
    },
  };
  return { executor, stats };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const pass = async () => ({
  status: "passed" as const,
  failure_kind: null,
  exit_code: 0,
  message: null,
});

/** Waits until aborted, then reports cancelled — what a real executor does after cleaning up. */
export const waitForAbort = (_job: JobSpec, signal: AbortSignal) =>
  new Promise<Pick<JobOutcome, "status" | "failure_kind" | "exit_code" | "message">>((resolve) => {
    signal.addEventListener("abort", () =>
      resolve({ status: "cancelled", failure_kind: null, exit_code: null, message: "cancelled" }),
    );
  });
