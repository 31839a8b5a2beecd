import type { PlannedRun } from "../run/prepare.js";
import { closedAsCancelled, initialRunRecord, type RunMeta, withFinishedJob } from "../run/records.js";
import type { ExecutorKind, RunEvent, RunRecord } from "../schema/index.js";
import type { StoreLayout } from "../store/index.js";

/**
 * GitHub's runner sends SIGINT, then SIGTERM 7.5 s later, then kills the step 2.5 s after that.
 * After SIGINT the engine gets this long to hand back its own record; then the action stops
 * waiting for it (remote clean-up continues in the background, in the post step or `pikaci gc`)
 * and concludes the checks and uploads the record it folded from the engine's events.
 */
export const CANCEL_GRACE_MS = 300;

export type Settled<T> =
  | { kind: "done"; value: T }
  | { kind: "failed"; error: unknown }
  | { kind: "detached" };

/** `work`'s outcome, or `detached` once `graceMs` have passed since `signal` aborted. */
export async function settleWithin<T>(
  work: Promise<T>,
  signal: AbortSignal,
  graceMs = CANCEL_GRACE_MS,
): Promise<Settled<T>> {
  const settled = work.then(
    (value): Settled<T> => ({ kind: "done", value }),
    (error: unknown): Settled<T> => ({ kind: "failed", error }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<Settled<T>>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve({ kind: "detached" }), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The run as the engine's events told it so far, starting from the plan: what a cancelled job
 * records when the engine cannot hand back its own record in time (or was never started).
 */
export class LiveRecord {
  #run: RunRecord;

  constructor(p: { planned: PlannedRun; executor: ExecutorKind; layout: StoreLayout; meta: RunMeta }) {
    const { runId } = p.planned;
    this.#run = initialRunRecord({
      planned: p.planned,
      executor: p.executor,
      logPaths: (laneId) => ({
        host: p.layout.logFile(runId, laneId, "host"),
        guest: p.layout.logFile(runId, laneId, "guest"),
      }),
      meta: p.meta,
    });
  }

  apply(event: RunEvent): void {
    this.#run = withFinishedJob(this.#run, event);
  }

  /** Closed as cancelled: every job not finished yet is `cancelled` with `why`. */
  cancelled(at: Date, why: string): RunRecord {
    return closedAsCancelled(this.#run, at.toISOString(), why);
  }
}
