import type { Conclusion } from "../github/checks.js";
import type { Annotation } from "../report/annotations.js";
import { batchAnnotations } from "../report/annotations.js";
import { type CheckOutput, fitOutput, renderProgressOutput } from "../report/check-output.js";
import type { RequestedAction } from "../report/requested-actions.js";
import type { RunEvent } from "../schema/index.js";
import type { CheckRunUpdate, ChecksPort } from "./checks-port.js";
import { applyEvent, type LaneCheck, newLaneCheck, progressOutput } from "./lane-check.js";
import { type Clock, createThrottle, systemClock } from "./throttle.js";

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

/**
 * Turns engine events into check-run updates: `in_progress` when a lane starts, throttled progress
 * (phase + log tail) while it runs, and the conclusion with annotations in batches of 50.
 * A failed API call is logged and never stops the run; `finish` makes sure no tracked check run
 * is left open.
 */
export function createCheckReporter(options: CheckReporterOptions): CheckReporter {
  return new CheckReporter(options);
}

export class CheckReporter {
  readonly #lanes = new Map<string, LaneCheck>();
  readonly #htmlUrls = new Map<string, string>();
  readonly #session: CheckSession;
  readonly #o: Required<Omit<CheckReporterOptions, "detailsUrl" | "checks">> & { detailsUrl?: string };

  constructor(options: CheckReporterOptions) {
    this.#o = {
      log: options.log,
      intervalMs: options.intervalMs ?? 10_000,
      clock: options.clock ?? systemClock,
      secrets: options.secrets ?? [],
      maxLogChars: options.maxLogChars ?? 256 * 1024,
      ...(options.detailsUrl ? { detailsUrl: options.detailsUrl } : {}),
    };
    this.#session = new CheckSession(options.checks, options.log, this.#htmlUrls);
  }

  /**
   * Follow a lane's check run: one the action created (standalone), or with `adopted` one the
   * App created, which the App may conclude itself.
   */
  track(laneId: string, checkRunId: number, htmlUrl?: string | null, adopted = false): void {
    if (htmlUrl) this.#htmlUrls.set(laneId, htmlUrl);
    const lane = newLaneCheck({
      laneId,
      checkRunId,
      adopted,
      throttle: (l) => createThrottle(() => this.#progress(l), this.#o.intervalMs, this.#o.clock),
    });
    this.#lanes.set(laneId, lane);
  }

  /**
   * Read every adopted check run once (in parallel) before the lanes start, so none already
   * concluded (a head superseded before the job started) is marked in progress again.
   * Returns the lanes concluded elsewhere.
   */
  async readAdopted(): Promise<string[]> {
    const adopted = [...this.#lanes.values()].filter((l) => l.adopted);
    await Promise.all(adopted.map((lane) => this.#session.stillOpen(lane)));
    return adopted.filter((l) => l.concludedElsewhere !== undefined).map((l) => l.laneId);
  }

  /**
   * The job is being cancelled, perhaps because the App superseded the head and concluded the
   * check runs itself: stop every progress update, and read every open adopted check run now,
   * all at once, while the engine stops. Each lane's conclusion then uses that read instead of
   * making its own.
   */
  cancel(): void {
    this.#session.cancelling = true;
    for (const lane of this.#lanes.values()) {
      lane.throttle.stop();
      if (lane.adopted && !lane.completed && !lane.pendingRead && !lane.readAfterCancel)
        lane.pendingRead = this.#session.readState(lane);
    }
  }

  tracked(): string[] {
    return [...this.#lanes.keys()];
  }

  /** Feed one engine event (job events name their lane). */
  handle(event: RunEvent): void {
    if (!("lane_id" in event)) return;
    const lane = this.#lanes.get(event.lane_id);
    if (!lane || lane.concluding || this.#session.cancelling) return;
    const effect = applyEvent(lane, event, this.#o);
    if (effect === "progress") lane.throttle.request();
    if (effect !== "started") return;
    lane.throttle.markSent();
    // A fresh attempt: no phase and no log yet.
    const output = renderProgressOutput({
      phase: undefined,
      phases: [],
      elapsedMs: 0,
      log: "",
      secrets: this.#o.secrets,
    });
    const params: CheckRunUpdate = { status: "in_progress", started_at: event.at, output };
    if (this.#o.detailsUrl) params.details_url = this.#o.detailsUrl;
    void enqueue(lane, async () => {
      await this.#session.send(lane, params, "mark in progress");
    });
  }

  /**
   * Complete the check run with its first 50 annotations, then append the rest 50 at a time.
   * If GitHub refuses the full conclusion, a minimal one is sent so the check never stays open.
   */
  conclude(laneId: string, result: LaneConclusion): Promise<void> {
    const lane = this.#lanes.get(laneId);
    if (!lane || lane.concluding) return Promise.resolve();
    lane.concluding = true;
    lane.throttle.stop();
    return enqueue(lane, async () => {
      if (!(await this.#session.stillOpen(lane))) return;
      await this.#sendConclusion(lane, result);
    });
  }

  isConcluded(laneId: string): boolean {
    return this.#lanes.get(laneId)?.concluding ?? false;
  }

  /** The conclusion someone else gave the lane's check run, if GitHub showed one. */
  concludedElsewhere(laneId: string): string | undefined {
    return this.#lanes.get(laneId)?.concludedElsewhere;
  }

  /**
   * Wait for every queued update, then conclude every check run not yet completed, all at once
   * (a cancelled job has seconds left): `cancelled` when the job was cancelled, else `failure`.
   */
  async finish(reason: string, conclusion: "failure" | "cancelled" = "failure"): Promise<void> {
    const lanes = [...this.#lanes.values()];
    await Promise.all(lanes.map((l) => l.queue));
    await Promise.all(lanes.map((lane) => this.#close(lane, reason, conclusion)));
  }

  htmlUrls(): ReadonlyMap<string, string> {
    return this.#htmlUrls;
  }

  #progress(lane: LaneCheck): void {
    // One progress update waiting is enough: it renders the latest state when its turn comes.
    // (When GitHub answers slower than the interval, queued updates would otherwise pile up in
    // front of the conclusion.)
    if (lane.concluding || lane.progressQueued || this.#session.cancelling) return;
    lane.progressQueued = true;
    void enqueue(lane, async () => {
      lane.progressQueued = false;
      if (lane.concluding || this.#session.cancelling) return;
      const output = progressOutput(lane, this.#o.clock.now(), this.#o.secrets);
      await this.#session.send(lane, { status: "in_progress", output }, "update the progress");
    });
  }

  async #sendConclusion(lane: LaneCheck, result: LaneConclusion): Promise<void> {
    const output = fitOutput(result.output);
    const [first = [], ...rest] = batchAnnotations(result.annotations ?? []);
    const params: CheckRunUpdate = {
      status: "completed",
      conclusion: result.conclusion,
      completed_at: new Date(this.#o.clock.now()).toISOString(),
      output: first.length > 0 ? { ...output, annotations: first } : output,
    };
    if (this.#o.detailsUrl) params.details_url = this.#o.detailsUrl;
    if (result.actions && result.actions.length > 0) params.actions = result.actions;
    lane.completed = await this.#session.send(lane, params, "conclude");
    if (!lane.completed) {
      const summary = "pikaci could not attach the full report; see the workflow run.";
      const minimal = {
        status: "completed" as const,
        conclusion: result.conclusion,
        output: { title: output.title, summary },
      };
      lane.completed = await this.#session.send(lane, minimal, "conclude (minimal)");
      return;
    }
    for (const batch of rest) {
      const more = { output: { title: output.title, summary: output.summary, annotations: batch } };
      await this.#session.send(lane, more, "add annotations");
    }
  }

  async #close(lane: LaneCheck, reason: string, conclusion: "failure" | "cancelled"): Promise<void> {
    lane.throttle.stop();
    if (lane.completed) return;
    lane.concluding = true;
    if (!(await this.#session.stillOpen(lane))) return;
    const title = conclusion === "cancelled" ? "Cancelled" : "pikaci did not finish this lane";
    lane.completed = await this.#session.send(
      lane,
      { status: "completed", conclusion, output: fitOutput({ title, summary: `${title}: ${reason}` }) },
      "close",
    );
  }
}

function enqueue(lane: LaneCheck, job: () => Promise<void>): Promise<void> {
  lane.queue = lane.queue.then(job, job);
  return lane.queue;
}

/** The calls to GitHub for one job's check runs, and the rule that a completed check run stays completed. */
class CheckSession {
  /** The job is being cancelled: no more progress, only conclusions. */
  cancelling = false;

  constructor(
    private readonly checks: ChecksPort,
    private readonly log: ReporterLog,
    private readonly htmlUrls: Map<string, string>,
  ) {}

  /** A completed check run stays completed: from now on this lane sends nothing. */
  markConcludedElsewhere(lane: LaneCheck, conclusion: string | null): void {
    if (lane.concludedElsewhere !== undefined) return;
    lane.concludedElsewhere = conclusion ?? "completed";
    lane.concluding = true;
    lane.completed = true;
    lane.throttle.stop();
    this.log.info(
      `Check run ${lane.checkRunId} (lane ${lane.laneId}) was already concluded ${lane.concludedElsewhere} by someone else; it is left as it is.`,
    );
  }

  async readState(lane: LaneCheck): Promise<void> {
    // The App concludes a superseded head's check runs before it cancels the job: one read
    // after the cancel is enough.
    if (this.cancelling) lane.readAfterCancel = true;
    try {
      const state = await this.checks.get(lane.checkRunId);
      if (state.status === "completed") this.markConcludedElsewhere(lane, state.conclusion);
    } catch (error) {
      // Unknown state: concluding is still better than leaving the check open.
      this.log.warning(
        `Could not read check run ${lane.checkRunId} (lane ${lane.laneId}): ${errorText(error)}`,
      );
    }
  }

  /** Read an adopted check run before concluding it; true when it is still ours to conclude. */
  async stillOpen(lane: LaneCheck): Promise<boolean> {
    if (!lane.adopted || lane.concludedElsewhere !== undefined) return lane.concludedElsewhere === undefined;
    if (lane.readAfterCancel && !lane.pendingRead) return true;
    const read = lane.pendingRead ?? this.readState(lane);
    lane.pendingRead = undefined;
    await read;
    return lane.concludedElsewhere === undefined;
  }

  async send(lane: LaneCheck, params: CheckRunUpdate, what: string): Promise<boolean> {
    if (lane.concludedElsewhere !== undefined) return true;
    try {
      const ref = await this.checks.update(lane.checkRunId, params);
      if (ref.html_url) this.htmlUrls.set(lane.laneId, ref.html_url);
      // Every answer says what the check run is now: a progress update that finds it completed
      // means someone else concluded it, and no later update may touch it.
      if (ref.status === "completed" && params.status !== "completed" && !lane.completed)
        this.markConcludedElsewhere(lane, ref.conclusion ?? null);
      return true;
    } catch (error) {
      this.log.warning(
        `Could not ${what} of check run ${lane.checkRunId} (lane ${lane.laneId}): ${errorText(error)}`,
      );
      return false;
    }
  }
}

function errorText(error: unknown): string {
  if (error && typeof error === "object" && "status" in error && "message" in error) {
    return `${String(error.status)} ${String(error.message)}`.slice(0, 500);
  }
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
