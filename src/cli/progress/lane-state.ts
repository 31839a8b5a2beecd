import type { RunEvent } from "../../schema/index.js";

/** What the live display knows about each lane, folded from lifecycle events. Pure. */
export interface LaneView {
  id: string;
  status: "queued" | "running" | "passed" | "failed" | "skipped" | "cancelled";
  phase: string | null;
  attempt: number;
  startedAtMs: number | null;
  durationMs: number | null;
  failureKind: string | null;
  message: string | null;
}

export interface ProgressState {
  runId: string | null;
  startedAtMs: number | null;
  lanes: LaneView[];
}

export const emptyProgress: ProgressState = { runId: null, startedAtMs: null, lanes: [] };

export function foldEvent(state: ProgressState, event: RunEvent): ProgressState {
  const at = Date.parse(event.at);
  const patch = (id: string, change: (lane: LaneView) => LaneView): ProgressState => ({
    ...state,
    lanes: state.lanes.map((lane) => (lane.id === id ? change(lane) : lane)),
  });
  switch (event.type) {
    case "run_started":
      return {
        runId: event.run_id,
        startedAtMs: at,
        lanes: event.lanes.map((id) => ({
          id,
          status: "queued",
          phase: null,
          attempt: 0,
          startedAtMs: null,
          durationMs: null,
          failureKind: null,
          message: null,
        })),
      };
    case "job_started":
      return patch(event.job_id, (lane) => ({
        ...lane,
        status: "running",
        attempt: event.attempt,
        startedAtMs: lane.startedAtMs ?? at,
        phase: null,
      }));
    case "job_phase":
      return event.state === "started"
        ? patch(event.job_id, (lane) => ({ ...lane, phase: event.phase }))
        : state;
    case "job_finished":
      return patch(event.job_id, (lane) => ({
        ...lane,
        status: event.status,
        phase: null,
        durationMs: event.duration_ms,
        failureKind: event.failure_kind,
        message: event.message,
      }));
    default:
      return state;
  }
}
