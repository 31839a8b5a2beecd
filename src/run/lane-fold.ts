import type { FailureKind, JobRecord, JobStatus, PhaseName, PhaseRecord, RunEvent } from "../schema/index.js";

/**
 * The one fold over lifecycle events. The engine folds phases into the live job record, the CLI
 * folds the run into its progress table, the Action folds each lane into its check run's progress:
 * all with these functions, so a phase means the same thing everywhere. Pure.
 */

type PhaseEvent = Pick<Extract<RunEvent, { type: "job_phase" }>, "phase" | "state" | "at" | "duration_ms">;

/** A phase event applied to a job's phases: `started` opens one, `finished`/`failed` closes the last open one. */
export function foldPhase(phases: readonly PhaseRecord[], e: PhaseEvent): PhaseRecord[] {
  if (e.state === "started") {
    return [
      ...phases,
      { phase: e.phase, started_at: e.at, finished_at: null, duration_ms: null, status: "running" },
    ];
  }
  const index = phases.findLastIndex((p) => p.phase === e.phase && p.finished_at === null);
  const status = e.state === "finished" ? "ok" : "failed";
  if (index === -1) {
    // A phase reported only when it ended: it started `duration_ms` before.
    const startedAt = new Date(Date.parse(e.at) - (e.duration_ms ?? 0)).toISOString();
    return [
      ...phases,
      { phase: e.phase, started_at: startedAt, finished_at: e.at, duration_ms: e.duration_ms, status },
    ];
  }
  return phases.map((p, i) =>
    i === index
      ? {
          ...p,
          finished_at: e.at,
          duration_ms: e.duration_ms ?? Math.max(0, Date.parse(e.at) - Date.parse(p.started_at)),
          status,
        }
      : p,
  );
}

/** What is known about one lane's job from the events so far. */
export interface LaneView {
  id: string;
  status: JobStatus;
  /** The latest phase started in this attempt (null before the first). */
  phase: PhaseName | null;
  /** The current attempt's phases. */
  phases: PhaseRecord[];
  attempt: number;
  startedAtMs: number | null;
  durationMs: number | null;
  failureKind: FailureKind | null;
  message: string | null;
  /** The job's record, once it finished. */
  job: JobRecord | null;
}

export function newLaneView(id: string): LaneView {
  return {
    id,
    status: "queued",
    phase: null,
    phases: [],
    attempt: 0,
    startedAtMs: null,
    durationMs: null,
    failureKind: null,
    message: null,
    job: null,
  };
}

/** One event applied to one lane; events of other lanes and of the run leave it as it is. */
export function foldLane(lane: LaneView, event: RunEvent): LaneView {
  if (!("lane_id" in event) || event.lane_id !== lane.id) return lane;
  switch (event.type) {
    case "job_started":
      // A retry after an infrastructure failure starts its phases afresh.
      return {
        ...lane,
        status: "running",
        attempt: event.attempt,
        startedAtMs: lane.startedAtMs ?? Date.parse(event.at),
        phase: null,
        phases: [],
      };
    case "job_phase":
      return {
        ...lane,
        phase: event.state === "started" ? event.phase : lane.phase,
        phases: foldPhase(lane.phases, event),
      };
    case "job_finished":
      return {
        ...lane,
        status: event.status,
        phase: null,
        durationMs: event.duration_ms,
        failureKind: event.failure_kind,
        message: event.message,
        job: event.job,
      };
    default:
      return lane;
  }
}

/** The whole run as the events tell it: `run_started` lists the lanes, every job event folds into one. */
export interface RunView {
  runId: string | null;
  startedAtMs: number | null;
  lanes: LaneView[];
}

export const emptyRunView: RunView = { runId: null, startedAtMs: null, lanes: [] };

export function foldRun(state: RunView, event: RunEvent): RunView {
  if (event.type === "run_started") {
    return { runId: event.run_id, startedAtMs: Date.parse(event.at), lanes: event.lanes.map(newLaneView) };
  }
  if (!("lane_id" in event)) return state;
  return { ...state, lanes: state.lanes.map((lane) => foldLane(lane, event)) };
}
