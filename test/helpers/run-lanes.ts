import type { Executor } from "../../src/executor/executor.js";
import type { RunStore, SnapshotHasher } from "../../src/run/ports.js";
import { planRun, workspaceSnapshot } from "../../src/run/prepare.js";
import type { RunMeta } from "../../src/run/records.js";
import { runEngine } from "../../src/run/run-engine.js";
import type { PikaciConfig, RunEvent, RunRecord } from "../../src/schema/index.js";

/** Plan, snapshot and run in one call, composed exactly as the CLI and the Action compose them. */
export interface RunLanesParams {
  config: PikaciConfig;
  configPath: string;
  workspace: string;
  stateRoot?: string;
  laneIds?: string[];
  changedFiles?: string[] | null;
  executor: Executor;
  store: RunStore;
  concurrency: number;
  infraRetries?: number;
  onEvent?: (event: RunEvent) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  runId?: string;
  now?: () => Date;
  meta?: RunMeta;
  hashSnapshot?: SnapshotHasher;
}

export function runLanes(p: RunLanesParams): Promise<RunRecord> {
  const planned = planRun({
    config: p.config,
    configPath: p.configPath,
    ...(p.laneIds ? { laneIds: p.laneIds } : {}),
    changedFiles: p.changedFiles ?? null,
    executor: p.executor.kind,
    ...(p.runId ? { runId: p.runId } : {}),
    ...(p.now ? { now: p.now } : {}),
  });
  const snapshot = workspaceSnapshot({
    workspace: p.workspace,
    ...(p.stateRoot ? { stateRoot: p.stateRoot } : {}),
    config: p.config,
    ...(p.hashSnapshot ? { hash: p.hashSnapshot } : {}),
  });
  const {
    config: _c,
    configPath: _p,
    workspace: _w,
    stateRoot: _s,
    laneIds: _l,
    changedFiles: _f,
    ...rest
  } = p;
  return runEngine({ planned, snapshot, executor: p.executor, store: p.store, options: rest });
}
