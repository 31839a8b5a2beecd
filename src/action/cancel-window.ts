import { readFile } from "node:fs/promises";
import path from "node:path";
import { defaultBuildPlan } from "../run/default-deps.js";
import { closeUnfinishedJobs, finishRun, initialRunRecord, type RunMeta } from "../run/records.js";
import type { PikaciConfig, PlanRecord, RunRecord } from "../schema/index.js";

/**
 * GitHub's runner sends SIGINT, then SIGTERM 7.5 s later, then kills the step 2.5 s after that.
 * After SIGINT the engine gets this long to hand back its own record; then the action stops
 * waiting for it (remote clean-up continues in the background, in the post step or `pikaci gc`)
 * and concludes the checks and uploads the record from what is on disk.
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

/**
 * The record of a run cancelled before the engine wrote one (cancelled at start-up, or the engine
 * not yet past its first write): the plan, every selected lane closed as cancelled. Pure.
 */
export function cancelledRecordFromPlan(p: {
  config: PikaciConfig;
  configPath: string;
  runId: string;
  laneIds: string[];
  changedFiles: string[] | null;
  executor: "local" | "incus";
  meta: RunMeta;
  runDir: string;
  at: Date;
}): { record: RunRecord; plan: PlanRecord } {
  const iso = p.at.toISOString();
  const { plan, timeouts } = defaultBuildPlan(p.config, p.changedFiles, {
    configPath: p.configPath,
    laneIds: p.laneIds,
    runId: p.runId,
    createdAt: iso,
    executor: p.executor,
  });
  const initial = initialRunRecord({
    runId: p.runId,
    createdAt: iso,
    plan,
    planPath: "plan.json",
    executor: p.executor,
    timeouts,
    logPaths: (jobId) => ({
      host: path.join(p.runDir, "jobs", jobId, "host.log"),
      guest: path.join(p.runDir, "jobs", jobId, "guest.log"),
    }),
    meta: p.meta,
  });
  const closed = closeUnfinishedJobs(initial, iso, {
    status: "cancelled",
    message: "cancelled before it started",
  });
  return { record: finishRun(closed, iso, true), plan };
}
