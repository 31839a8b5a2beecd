import type { JobRecord, PhaseName, RunEvent, RunStatus } from "../schema/index.js";

/** Builders for lifecycle events, so every emitter fills the same fields the same way. */

export function runStarted(runId: string, at: string, lanes: string[]): RunEvent {
  return { type: "run_started", at, run_id: runId, lanes };
}

export function jobStarted(runId: string, at: string, laneId: string, attempt: number): RunEvent {
  return { type: "job_started", at, run_id: runId, lane_id: laneId, attempt };
}

export function jobPhase(
  runId: string,
  at: string,
  laneId: string,
  phase: PhaseName,
  state: "started" | "finished" | "failed",
  durationMs: number | null,
): RunEvent {
  return { type: "job_phase", at, run_id: runId, lane_id: laneId, phase, state, duration_ms: durationMs };
}

export function jobLog(
  runId: string,
  at: string,
  laneId: string,
  stream: "host" | "guest",
  text: string,
): RunEvent {
  return { type: "job_log", at, run_id: runId, lane_id: laneId, stream, text };
}

/** A job ended: its record as the engine holds it, so no consumer has to read run.json back. */
export function jobFinished(runId: string, at: string, job: JobRecord): RunEvent {
  return {
    type: "job_finished",
    at,
    run_id: runId,
    lane_id: job.lane_id,
    status: job.status,
    failure_kind: job.failure_kind,
    exit_code: job.exit_code,
    duration_ms: job.duration_ms ?? null,
    message: job.message,
    job,
  };
}

export function runFinished(runId: string, at: string, status: RunStatus): RunEvent {
  return { type: "run_finished", at, run_id: runId, status };
}
