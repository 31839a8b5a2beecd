import { buildRunPlan } from "../plan/index.js";
import type { ExecutorKind, PikaciConfig, PlanRecord } from "../schema/index.js";
import { newRunId } from "../store/index.js";
import { defaultHashSnapshot } from "./default-deps.js";
import type { SnapshotHasher, SnapshotSource } from "./ports.js";

/** A run decided but not started: its id, the plan, and every lane's timeout. */
export interface PlannedRun {
  runId: string;
  createdAt: string;
  plan: PlanRecord;
  /** Every lane's timeout, so a skipped lane's record is complete too. */
  timeouts: ReadonlyMap<string, number>;
}

export interface PlanRunParams {
  config: PikaciConfig;
  /** As the user named it (relative to the workspace); recorded in plan.json and used in path rules. */
  configPath: string;
  /** Only these lanes (an unknown id is a UsageError); absent: every lane. */
  laneIds?: readonly string[];
  /** null: change detection unavailable, every lane runs. */
  changedFiles: readonly string[] | null;
  executor: ExecutorKind;
  /** Given by the App when it dispatched the run; else a new one. */
  runId?: string;
  now?: () => Date;
}

/**
 * The shared preparation of the CLI and the Action: choose the run id once, resolve the lanes once,
 * build the plan. Throws a UsageError (unknown lane) before anything is recorded. Pure but for the clock.
 */
export function planRun(p: PlanRunParams): PlannedRun {
  const now = (p.now ?? (() => new Date()))();
  const runId = p.runId ?? newRunId(now);
  const createdAt = now.toISOString();
  const { plan, timeouts } = buildRunPlan(p.config, p.changedFiles, {
    configPath: p.configPath,
    ...(p.laneIds === undefined ? {} : { laneIds: p.laneIds }),
    runId,
    createdAt,
    executor: p.executor,
  });
  return { runId, createdAt, plan, timeouts };
}

/**
 * The workspace's snapshot, hashed once when the engine asks for it (inside the recorded run, so a
 * tree that cannot be read still ends in a terminal run.json) and handed to every job.
 */
export function workspaceSnapshot(p: {
  workspace: string;
  /** Kept out of the snapshot when it lies inside the workspace; also holds the digest cache. */
  stateRoot?: string;
  config: Pick<PikaciConfig, "snapshot">;
  hash?: SnapshotHasher;
}): SnapshotSource {
  const hash = p.hash ?? defaultHashSnapshot;
  const include = p.config.snapshot?.include;
  return (signal) =>
    hash(p.workspace, signal, {
      ...(p.stateRoot === undefined ? {} : { stateRoot: p.stateRoot }),
      ...(include === undefined ? {} : { include }),
    });
}
