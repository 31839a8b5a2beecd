import { readFile } from "node:fs/promises";
import path from "node:path";
import { closeUnfinishedJobs, finishRun } from "../run/records.js";
import type { RunRecord } from "../schema/index.js";

/**
 * GitHub's runner sends SIGINT, then SIGTERM 7.5 s later, then kills the step 2.5 s after that.
 * After SIGINT the engine gets this long to hand back its own record; then the action stops
 * waiting for it (remote clean-up continues in the background, in the post step or `pikaci gc`)
 * and concludes the checks and uploads the record from what is on disk.
 */
export const CANCEL_GRACE_MS = 750;

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
 * The run as far as the engine wrote it, closed as cancelled: what a cancelled job records when
 * the engine could not finish in time. undefined when nothing was written yet.
 */
export async function cancelledRecordFromDisk(runDir: string, at: Date): Promise<RunRecord | undefined> {
  let run: RunRecord;
  try {
    run = JSON.parse(await readFile(path.join(runDir, "run.json"), "utf8")) as RunRecord;
  } catch {
    return undefined;
  }
  if (run.finished_at) return run;
  const iso = at.toISOString();
  const closed = closeUnfinishedJobs(run, iso, {
    status: "cancelled",
    message: "cancelled; the action stopped waiting for the build host",
  });
  return finishRun(closed, iso, true);
}
