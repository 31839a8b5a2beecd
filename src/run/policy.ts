import type { FailureKind, JobStatus, RunStatus } from "../schema/index.js";

/**
 * The run's failure policy, kept pure so it is tested on data. Lanes are independent:
 * nothing here ever turns one lane's failure into another lane's skip, because every
 * check must report.
 */

/** Only infrastructure failures are retried; a test that failed would fail again and hide the result. */
export function shouldRetry(
  outcome: { status: JobStatus; failure_kind: FailureKind | null; retryable?: boolean },
  attempt: number,
  infraRetries: number,
): boolean {
  return (
    outcome.status === "failed" &&
    outcome.failure_kind === "infrastructure" &&
    outcome.retryable !== false &&
    attempt <= infraRetries
  );
}

/**
 * The run's status from its jobs. An abort wins (the user asked to stop); then any failure;
 * unfinished jobs keep the run `running`; a run where nothing was selected is `skipped`.
 */
export function runStatusOf(jobs: readonly { status: JobStatus }[], aborted: boolean): RunStatus {
  if (aborted) return "cancelled";
  if (jobs.some((job) => job.status === "failed")) return "failed";
  if (jobs.some((job) => job.status === "queued" || job.status === "running")) return "running";
  if (jobs.some((job) => job.status === "cancelled")) return "cancelled";
  if (jobs.every((job) => job.status === "skipped")) return "skipped";
  return "passed";
}

/** The CLI's exit code for a finished run: 0 passed or nothing to do, 1 otherwise. */
export function exitCodeOf(status: RunStatus): number {
  return status === "passed" || status === "skipped" ? 0 : 1;
}
