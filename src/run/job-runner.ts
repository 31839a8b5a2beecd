import { describeError } from "../errors/index.js";
import type { Executor, JobEvents, JobOutcome, JobSpec } from "../executor/executor.js";
import {
  DEFAULT_LOG_LIMIT_BYTES,
  type ExecuteNode,
  type LogTruncation,
  type RunEvent,
} from "../schema/index.js";
import type { Snapshot } from "../snapshot/entries.js";
import * as ev from "./events.js";
import { JobLogs } from "./job-logs.js";
import { foldPhase } from "./lane-fold.js";
import { shouldRetry } from "./policy.js";
import type { RunStore } from "./ports.js";
import type { RunRecordWriter } from "./record-writer.js";
import { applyAttempt, markJobRunning, updateJob } from "./records.js";

/** What every job of a run records into and reports through. */
export interface RunScope {
  runId: string;
  writer: RunRecordWriter;
  emit: (event: RunEvent) => void;
  iso: () => string;
  signal: AbortSignal;
  /** Lanes whose job_finished was emitted; the rest get one when the run closes. */
  finished: Set<string>;
}

/** What one job runs with. */
export interface JobInput {
  node: ExecuteNode;
  executor: Executor;
  snapshot: Snapshot;
  store: Pick<RunStore, "jobDir" | "openLog">;
  /** Overrides the lane's `infra_retries` (tests, `--infra-retries`). */
  infraRetries: number | undefined;
  warn: (message: string) => void;
}

/** Run one lane's job: attempts until it passes, fails for a reason a retry cannot fix, or is cancelled. */
export async function runJob(scope: RunScope, job: JobInput): Promise<void> {
  const laneId = job.node.lane_id;
  const jobDir = await job.store.jobDir(scope.runId, laneId);
  const logs = new JobLogs({
    store: job.store,
    runId: scope.runId,
    laneId,
    limitBytes: job.node.execute.log_limit_bytes ?? DEFAULT_LOG_LIMIT_BYTES,
    warn: job.warn,
  });
  const retries = job.infraRetries ?? job.node.execute.infra_retries;
  try {
    for (let attempt = 1; !scope.signal.aborted; attempt++) {
      const spec: JobSpec = {
        run_id: scope.runId,
        lane_id: laneId,
        description: job.node.description,
        attempt,
        execute: job.node.execute,
        snapshot: job.snapshot,
        job_dir: jobDir,
      };
      const outcome = await runAttempt(scope, job.executor, spec, { logs, retries });
      const retry = !scope.signal.aborted && shouldRetry(outcome, attempt, retries);
      // The log is complete once the last attempt ended: close it so its cut is in the same record.
      recordAttempt(scope, {
        laneId,
        attempt,
        outcome,
        final: !retry,
        truncation: retry ? null : logs.close(),
      });
      if (!retry) return;
      logs.append("host", `pikaci: infrastructure failure (${outcome.message ?? "no message"}); retrying\n`);
    }
  } finally {
    logs.close();
  }
}

async function runAttempt(
  scope: RunScope,
  executor: Executor,
  spec: JobSpec,
  { logs, retries }: { logs: JobLogs; retries: number },
): Promise<JobOutcome> {
  const startedAt = scope.iso();
  scope.writer.update((run) =>
    updateJob(run, spec.lane_id, (job) => ({ ...markJobRunning(job, startedAt), phases: [] })),
  );
  scope.emit(ev.jobStarted(scope.runId, startedAt, spec.lane_id, spec.attempt));
  if (spec.attempt > 1) logs.append("host", `pikaci: attempt ${spec.attempt} of ${retries + 1}\n`);
  return runSafely(executor, spec, attemptEvents(scope, spec.lane_id, logs), scope);
}

/** The executor's callbacks: phases fold into the live record, logs go to the store; both are emitted. */
function attemptEvents(scope: RunScope, laneId: string, logs: JobLogs): JobEvents {
  return {
    phase: (phase, state, durationMs) => {
      const at = scope.iso();
      const change = { phase, state, at, duration_ms: durationMs };
      scope.writer.update((run) =>
        updateJob(run, laneId, (job) => ({ ...job, phases: foldPhase(job.phases, change) })),
      );
      scope.emit(ev.jobPhase(scope.runId, at, laneId, phase, state, durationMs));
    },
    log: (stream, text) => {
      logs.append(stream, text);
      scope.emit(ev.jobLog(scope.runId, scope.iso(), laneId, stream, text));
    },
  };
}

function recordAttempt(
  scope: RunScope,
  a: {
    laneId: string;
    attempt: number;
    outcome: JobOutcome;
    final: boolean;
    truncation: LogTruncation | null;
  },
): void {
  scope.writer.update((run) =>
    updateJob(run, a.laneId, (job) => ({
      ...applyAttempt(job, a.attempt, a.outcome, a.final),
      ...(a.truncation ? { log_truncation: a.truncation } : {}),
    })),
  );
  if (!a.final) return;
  const job = scope.writer.current.jobs.find((j) => j.lane_id === a.laneId)!;
  scope.finished.add(a.laneId);
  // Stamp the event when it is emitted, not when the job ended: event streams stay in time order.
  scope.emit(ev.jobFinished(scope.runId, scope.iso(), job));
}

/** An executor that throws has a bug or lost its host; either way the job failed on infrastructure. */
async function runSafely(
  executor: Executor,
  spec: JobSpec,
  events: JobEvents,
  scope: Pick<RunScope, "signal" | "iso">,
): Promise<JobOutcome> {
  const startedAt = scope.iso();
  try {
    return await executor.runJob(spec, events, scope.signal);
  } catch (error) {
    const aborted = scope.signal.aborted;
    return {
      status: aborted ? "cancelled" : "failed",
      failure_kind: aborted ? null : "infrastructure",
      exit_code: null,
      message: describeError(error),
      phases: [],
      started_at: startedAt,
      finished_at: scope.iso(),
    };
  }
}
