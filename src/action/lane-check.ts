import { type CheckOutput, renderProgressOutput } from "../report/check-output.js";
import { foldLane, type LaneView, newLaneView } from "../run/lane-fold.js";
import type { RunEvent } from "../schema/index.js";
import type { Clock, Throttle } from "./throttle.js";

/** One lane's check run as the reporter follows it. */
export interface LaneCheck {
  laneId: string;
  checkRunId: number;
  /** The lane's job as the engine's events tell it (the engine's own fold). */
  view: LaneView;
  /** When the action saw the lane start, on its own clock (progress shows the elapsed time). */
  startedAtMs: number | undefined;
  guestLog: string;
  hostLog: string;
  throttle: Throttle;
  /** Updates of one check run are sent one after another, so a late progress update never lands after the conclusion. */
  queue: Promise<void>;
  concluding: boolean;
  completed: boolean;
  /**
   * The App created this check run and may conclude it itself (a superseded head): it is read
   * before the action concludes it, because GitHub keeps the first conclusion.
   */
  adopted: boolean;
  /** Set when GitHub showed the check run completed by someone else; nothing more is sent to it. */
  concludedElsewhere: string | undefined;
  /** A read already under way (started when the job was cancelled); the next conclusion uses it. */
  pendingRead: Promise<void> | undefined;
  progressQueued: boolean;
  readAfterCancel: boolean;
}

export function newLaneCheck(p: {
  laneId: string;
  checkRunId: number;
  adopted: boolean;
  throttle: (lane: LaneCheck) => Throttle;
}): LaneCheck {
  const lane: LaneCheck = {
    laneId: p.laneId,
    checkRunId: p.checkRunId,
    view: newLaneView(p.laneId),
    startedAtMs: undefined,
    guestLog: "",
    hostLog: "",
    throttle: undefined as unknown as Throttle,
    queue: Promise.resolve(),
    concluding: false,
    completed: false,
    adopted: p.adopted,
    concludedElsewhere: undefined,
    pendingRead: undefined,
    progressQueued: false,
    readAfterCancel: false,
  };
  lane.throttle = p.throttle(lane);
  return lane;
}

/** Fold one event into the lane; returns whether the check run should hear of it (and how). */
export function applyEvent(
  lane: LaneCheck,
  event: RunEvent,
  p: { clock: Clock; maxLogChars: number },
): "started" | "progress" | "none" {
  lane.view = foldLane(lane.view, event);
  switch (event.type) {
    case "job_started":
      lane.startedAtMs ??= p.clock.now();
      return "started";
    case "job_phase":
      return "progress";
    case "job_log":
      appendLog(lane, event.stream, event.text, p.maxLogChars);
      return "progress";
    default:
      return "none";
  }
}

function appendLog(lane: LaneCheck, stream: "host" | "guest", text: string, maxLogChars: number): void {
  const key = stream === "guest" ? "guestLog" : "hostLog";
  // A chunk larger than the window only matters by its end; trimming only past twice the window
  // keeps a lane printing gigabytes from copying the window on every chunk.
  let next = lane[key] + (text.length > maxLogChars ? text.slice(text.length - maxLogChars) : text);
  if (next.length > 2 * maxLogChars) {
    next = next.slice(next.length - maxLogChars);
    next = next.slice(next.indexOf("\n") + 1);
  }
  lane[key] = next;
}

/** The check run's output while the lane runs: the phase, the phases so far, the log's tail. */
export function progressOutput(lane: LaneCheck, nowMs: number, secrets: readonly string[]): CheckOutput {
  return renderProgressOutput({
    phase: lane.view.phase ?? undefined,
    phases: lane.view.phases,
    elapsedMs: lane.startedAtMs === undefined ? 0 : nowMs - lane.startedAtMs,
    log: lane.guestLog.trim() === "" ? lane.hostLog : lane.guestLog,
    secrets,
  });
}
