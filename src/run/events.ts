import type { JobOutcome } from "../executor/executor.js";
import type { JobStatus, PhaseName, RunEvent, RunStatus } from "../schema/index.js";

/** Builders for lifecycle events, so every emitter fills the same fields the same way. */

export function runStarted(runId: string, at: string, lanes: string[]): RunEvent {
  return { type: "run_started", at, run_id: runId, lanes };
}

export function jobStarted(runId: string, at: string, jobId: string, attempt: number): RunEvent {
  return { type: "job_started", at, run_id: runId, job_id: jobId, attempt };
}

export function jobPhase(
  runId: string,
  at: string,
  jobId: string,
  phase: PhaseName,
  state: "started" | "finished" | "failed",
  durationMs: number | null,
): RunEvent {
  return { type: "job_phase", at, run_id: runId, job_id: jobId, phase, state, duration_ms: durationMs };
}

export function jobLog(
  runId: string,
  at: string,
  jobId: string,
  stream: "host" | "guest",
  text: string,
): RunEvent {
  return { type: "job_log", at, run_id: runId, job_id: jobId, stream, text };
}

export function jobFinished(
  runId: string,
  at: string,
  jobId: string,
  result: Pick<JobOutcome, "failure_kind" | "exit_code" | "message"> & {
    status: JobStatus;
    duration_ms: number | null;
  },
): RunEvent {
  return {
    type: "job_finished",
    at,
    run_id: runId,
    job_id: jobId,
    status: result.status,
    failure_kind: result.failure_kind,
    exit_code: result.exit_code,
    duration_ms: result.duration_ms,
    message: result.message,
  };
}

export function runFinished(runId: string, at: string, status: RunStatus): RunEvent {
  return { type: "run_finished", at, run_id: runId, status };
}
