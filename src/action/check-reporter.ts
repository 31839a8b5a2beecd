import type { Conclusion } from "../github/checks.js";
import type { Annotation } from "../report/annotations.js";
import { batchAnnotations } from "../report/annotations.js";
import { type CheckOutput, fitOutput, renderProgressOutput } from "../report/check-output.js";
import type { RequestedAction } from "../report/requested-actions.js";
import type { PhaseName, PhaseRecord, RunEvent } from "../schema/index.js";
import type { CheckRunUpdate, ChecksPort } from "./checks-port.js";
import { type Clock, createThrottle, systemClock, type Throttle } from "./throttle.js";

export interface ReporterLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface CheckReporterOptions {
  checks: ChecksPort;
  log: ReporterLog;
  /** At most one progress update per lane per interval (10 s on GitHub; shorter in tests). */
  intervalMs?: number;
  clock?: Clock;
  secrets?: readonly string[];
  detailsUrl?: string;
  /** Live log kept per lane for the tail; older text is dropped at a line boundary. */
  maxLogChars?: number;
}

export interface LaneConclusion {
  conclusion: Conclusion;
  output: CheckOutput;
  annotations?: Annotation[];
  actions?: RequestedAction[];
}

interface LaneState {
  laneId: string;
  checkRunId: number;
  startedAtMs: number | undefined;
  phase: PhaseName | undefined;
  phases: PhaseRecord[];
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

/**
 * Turns engine events into check-run updates: `in_progress` when a lane starts, throttled progress
 * (phase + log tail) while it runs, and the conclusion with annotations in batches of 50.
 * A failed API call is logged and never stops the run; `finish` makes sure no tracked check run
 * is left open.
 */
export function createCheckReporter(options: CheckReporterOptions) {
  const { checks, log, intervalMs = 10_000, clock = systemClock, secrets = [], detailsUrl } = options;
  const maxLogChars = options.maxLogChars ?? 256 * 1024;
  const lanes = new Map<string, LaneState>();
  const htmlUrls = new Map<string, string>();
  /** The job is being cancelled: no more progress, only conclusions. */
  let cancelling = false;

  /** A completed check run stays completed: from now on this lane sends nothing. */
  function markConcludedElsewhere(lane: LaneState, conclusion: string | null): void {
    if (lane.concludedElsewhere !== undefined) return;
    lane.concludedElsewhere = conclusion ?? "completed";
    lane.concluding = true;
    lane.completed = true;
    lane.throttle.stop();
    log.info(
      `Check run ${lane.checkRunId} (lane ${lane.laneId}) was already concluded ${lane.concludedElsewhere} by someone else; it is left as it is.`,
    );
  }

  async function readState(lane: LaneState): Promise<void> {
    // The App concludes a superseded head's check runs before it cancels the job: one read
    // after the cancel is enough.
    if (cancelling) lane.readAfterCancel = true;
    try {
      const state = await checks.get(lane.checkRunId);
      if (state.status === "completed") markConcludedElsewhere(lane, state.conclusion);
    } catch (error) {
      // Unknown state: concluding is still better than leaving the check open.
      log.warning(`Could not read check run ${lane.checkRunId} (lane ${lane.laneId}): ${errorText(error)}`);
    }
  }

  /** Read an adopted check run before concluding it; true when it is still ours to conclude. */
  async function stillOpen(lane: LaneState): Promise<boolean> {
    if (!lane.adopted || lane.concludedElsewhere !== undefined) return lane.concludedElsewhere === undefined;
    if (lane.readAfterCancel && !lane.pendingRead) return true;
    const read = lane.pendingRead ?? readState(lane);
    lane.pendingRead = undefined;
    await read;
    return lane.concludedElsewhere === undefined;
  }

  async function send(lane: LaneState, params: CheckRunUpdate, what: string): Promise<boolean> {
    if (lane.concludedElsewhere !== undefined) return true;
    try {
      const ref = await checks.update(lane.checkRunId, params);
      if (ref.html_url) htmlUrls.set(lane.laneId, ref.html_url);
      // Every answer says what the check run is now: a progress update that finds it completed
      // means someone else concluded it, and no later update may touch it.
      if (ref.status === "completed" && params.status !== "completed" && !lane.completed)
        markConcludedElsewhere(lane, ref.conclusion ?? null);
      return true;
    } catch (error) {
      log.warning(
        `Could not ${what} of check run ${lane.checkRunId} (lane ${lane.laneId}): ${errorText(error)}`,
      );
      return false;
    }
  }

  function enqueue(lane: LaneState, job: () => Promise<void>): Promise<void> {
    lane.queue = lane.queue.then(job, job);
    return lane.queue;
  }

  function progress(lane: LaneState): void {
    // One progress update waiting is enough: it renders the latest state when its turn comes.
    // (When GitHub answers slower than the interval, queued updates would otherwise pile up in
    // front of the conclusion.)
    if (lane.concluding || lane.progressQueued || cancelling) return;
    lane.progressQueued = true;
    void enqueue(lane, async () => {
      lane.progressQueued = false;
      if (lane.concluding || cancelling) return;
      const output = renderProgressOutput({
        phase: lane.phase,
        phases: lane.phases,
        elapsedMs: lane.startedAtMs === undefined ? 0 : clock.now() - lane.startedAtMs,
        log: lane.guestLog.trim() === "" ? lane.hostLog : lane.guestLog,
        secrets,
      });
      await send(lane, { status: "in_progress", output }, "update the progress");
    });
  }

  function appendLog(lane: LaneState, stream: "host" | "guest", text: string): void {
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

  function onPhase(lane: LaneState, e: Extract<RunEvent, { type: "job_phase" }>): void {
    if (e.state === "started") {
      lane.phase = e.phase;
      lane.phases.push({
        phase: e.phase,
        started_at: e.at,
        finished_at: null,
        duration_ms: null,
        status: "running",
      });
      return;
    }
    const record = lane.phases.findLast((p) => p.phase === e.phase && p.status === "running");
    const status = e.state === "finished" ? "ok" : "failed";
    if (record) Object.assign(record, { finished_at: e.at, duration_ms: e.duration_ms, status });
    else
      lane.phases.push({
        phase: e.phase,
        started_at: e.at,
        finished_at: e.at,
        duration_ms: e.duration_ms,
        status,
      });
  }

  return {
    /**
     * Follow a lane's check run: one the action created (standalone), or with `adopted` one the
     * App created, which the App may conclude itself.
     */
    track(laneId: string, checkRunId: number, htmlUrl?: string | null, adopted = false): void {
      if (htmlUrl) htmlUrls.set(laneId, htmlUrl);
      const lane: LaneState = {
        laneId,
        checkRunId,
        startedAtMs: undefined,
        phase: undefined,
        phases: [],
        guestLog: "",
        hostLog: "",
        throttle: createThrottle(() => progress(lane), intervalMs, clock),
        queue: Promise.resolve(),
        concluding: false,
        completed: false,
        adopted,
        concludedElsewhere: undefined,
        pendingRead: undefined,
        progressQueued: false,
        readAfterCancel: false,
      };
      lanes.set(laneId, lane);
    },

    /**
     * Read every adopted check run once (in parallel) before the lanes start, so none already
     * concluded (a head superseded before the job started) is marked in progress again.
     * Returns the lanes concluded elsewhere.
     */
    async readAdopted(): Promise<string[]> {
      const adopted = [...lanes.values()].filter((l) => l.adopted);
      await Promise.all(adopted.map((lane) => stillOpen(lane)));
      return adopted.filter((l) => l.concludedElsewhere !== undefined).map((l) => l.laneId);
    },

    /**
     * The job is being cancelled, perhaps because the App superseded the head and concluded the
     * check runs itself: stop every progress update, and read every open adopted check run now,
     * all at once, while the engine stops. Each lane's conclusion then uses that read instead of
     * making its own.
     */
    cancel(): void {
      cancelling = true;
      for (const lane of lanes.values()) {
        lane.throttle.stop();
        if (lane.adopted && !lane.completed && !lane.pendingRead && !lane.readAfterCancel)
          lane.pendingRead = readState(lane);
      }
    },

    tracked(): string[] {
      return [...lanes.keys()];
    },

    /** Feed one engine event. `laneOf` maps a job id to its lane (they are the same by default). */
    handle(event: RunEvent, laneOf: (jobId: string) => string = (id) => id): void {
      if (!("job_id" in event)) return;
      const lane = lanes.get(laneOf(event.job_id));
      if (!lane || lane.concluding || cancelling) return;
      switch (event.type) {
        case "job_started": {
          lane.startedAtMs ??= clock.now();
          // A retry after an infrastructure failure starts its phases afresh.
          lane.phases = [];
          lane.phase = undefined;
          lane.throttle.markSent();
          const output = renderProgressOutput({
            phase: undefined,
            phases: lane.phases,
            elapsedMs: 0,
            log: "",
            secrets,
          });
          const params: CheckRunUpdate = { status: "in_progress", started_at: event.at, output };
          if (detailsUrl) params.details_url = detailsUrl;
          void enqueue(lane, async () => {
            await send(lane, params, "mark in progress");
          });
          return;
        }
        case "job_phase":
          onPhase(lane, event);
          lane.throttle.request();
          return;
        case "job_log":
          appendLog(lane, event.stream, event.text);
          lane.throttle.request();
          return;
        default:
          return;
      }
    },

    /** Phases seen in events so far (for a conclusion built before run.json exists). */
    phasesOf(laneId: string): PhaseRecord[] {
      return lanes.get(laneId)?.phases ?? [];
    },

    /**
     * Complete the check run with its first 50 annotations, then append the rest 50 at a time.
     * If GitHub refuses the full conclusion, a minimal one is sent so the check never stays open.
     */
    conclude(laneId: string, result: LaneConclusion): Promise<void> {
      const lane = lanes.get(laneId);
      if (!lane || lane.concluding) return Promise.resolve();
      lane.concluding = true;
      lane.throttle.stop();
      return enqueue(lane, async () => {
        if (!(await stillOpen(lane))) return;
        const output = fitOutput(result.output);
        const [first = [], ...rest] = batchAnnotations(result.annotations ?? []);
        const params: CheckRunUpdate = {
          status: "completed",
          conclusion: result.conclusion,
          completed_at: new Date(clock.now()).toISOString(),
          output: first.length > 0 ? { ...output, annotations: first } : output,
        };
        if (detailsUrl) params.details_url = detailsUrl;
        if (result.actions && result.actions.length > 0) params.actions = result.actions;
        lane.completed = await send(lane, params, "conclude");
        if (!lane.completed) {
          lane.completed = await send(
            lane,
            {
              status: "completed",
              conclusion: result.conclusion,
              output: {
                title: output.title,
                summary: "pikaci could not attach the full report; see the workflow run.",
              },
            },
            "conclude (minimal)",
          );
          return;
        }
        for (const batch of rest) {
          await send(
            lane,
            { output: { title: output.title, summary: output.summary, annotations: batch } },
            "add annotations",
          );
        }
      });
    },

    isConcluded(laneId: string): boolean {
      return lanes.get(laneId)?.concluding ?? false;
    },

    /** The conclusion someone else gave the lane's check run, if GitHub showed one. */
    concludedElsewhere(laneId: string): string | undefined {
      return lanes.get(laneId)?.concludedElsewhere;
    },

    /**
     * Wait for every queued update, then conclude every check run not yet completed, all at once
     * (a cancelled job has seconds left): `cancelled` when the job was cancelled, else `failure`.
     */
    async finish(reason: string, conclusion: "failure" | "cancelled" = "failure"): Promise<void> {
      await Promise.all([...lanes.values()].map((l) => l.queue));
      await Promise.all(
        [...lanes.values()].map(async (lane) => {
          lane.throttle.stop();
          if (lane.completed) return;
          lane.concluding = true;
          if (!(await stillOpen(lane))) return;
          const title = conclusion === "cancelled" ? "Cancelled" : "pikaci did not finish this lane";
          lane.completed = await send(
            lane,
            { status: "completed", conclusion, output: fitOutput({ title, summary: `${title}: ${reason}` }) },
            "close",
          );
        }),
      );
    },

    htmlUrls(): ReadonlyMap<string, string> {
      return htmlUrls;
    },
  };
}

export type CheckReporter = ReturnType<typeof createCheckReporter>;

function errorText(error: unknown): string {
  if (error && typeof error === "object" && "status" in error && "message" in error) {
    return `${String(error.status)} ${String(error.message)}`.slice(0, 500);
  }
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
