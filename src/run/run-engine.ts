import { describeError, UsageError } from "../errors/index.js";
import type { Executor } from "../executor/executor.js";
import type { RunEvent, RunRecord } from "../schema/index.js";
import type { Snapshot } from "../snapshot/entries.js";
import * as ev from "./events.js";
import { type RunScope, runJob } from "./job-runner.js";
import type { RunStore, SnapshotSource } from "./ports.js";
import type { PlannedRun } from "./prepare.js";
import { RunRecordWriter } from "./record-writer.js";
import {
  addPrepareTiming,
  closeUnfinishedJobs,
  executeNodes,
  finishRun,
  initialRunRecord,
  type RunMeta,
  updateJob,
} from "./records.js";
import { runScheduled } from "./schedule.js";

/** The engine's one way in: the CLI and the Action both call it with what they prepared. */
export interface RunEngineParams {
  /** The run id, the plan and the lanes' timeouts (see `planRun`). */
  planned: PlannedRun;
  /** The workspace snapshot (see `workspaceSnapshot`): hashed once, inside the recorded run. */
  snapshot: SnapshotSource;
  executor: Executor;
  store: RunStore;
  options: EngineOptions;
}

export interface EngineOptions {
  /** Lanes at once; an executor that knows its hosts' capacities (`Executor.capacity`) decides instead. */
  concurrency: number;
  /** Overrides every lane's `infra_retries` (tests, `--infra-retries`); absent: the lane's setting. */
  infraRetries?: number;
  onEvent?: (event: RunEvent) => void;
  /** Problems that must not fail the run (e.g. a run.json write failed). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  now?: () => Date;
  /** Recorded in run.json: the commit, pull request and host the lanes ran for. */
  meta?: RunMeta;
}

/**
 * Run a planned run's lanes and return its terminal record. From the first write on, every outcome
 * (a snapshot that cannot be read, an executor that throws, an abort) ends in a terminal run.json;
 * a bad input found while preparing the snapshot (a UsageError) is thrown after that, so the entry
 * point's boundary shows its fix.
 */
export async function runEngine(params: RunEngineParams): Promise<RunRecord> {
  const { planned, options } = params;
  const scope = openRun(params);
  const warn = (message: string): void => options.onWarning?.(message);
  await writePlan(params.store, planned, warn);
  scope.writer.update((run) => run);
  const lanes = executeNodes(planned.plan).map((node) => node.lane_id);
  scope.emit(ev.runStarted(planned.runId, planned.createdAt, lanes));
  let setupError: unknown = null;
  if (lanes.length > 0) {
    try {
      const snapshot = await hashOnce(scope, params.snapshot);
      await runJobs(scope, { ...params, snapshot, warn });
    } catch (error) {
      setupError = error;
    }
  }
  const hosts = params.executor.hosts?.();
  if (hosts !== undefined) scope.writer.update((run) => ({ ...run, hosts }));
  await closeRun(scope, setupError, lanes);
  if (setupError instanceof UsageError) throw setupError;
  return scope.writer.current;
}

function openRun(params: RunEngineParams): RunScope {
  const { planned, options, store } = params;
  const now = options.now ?? (() => new Date());
  const hosts = params.executor.hosts?.();
  const initial = initialRunRecord({
    planned,
    executor: params.executor.kind,
    logPaths: (laneId) => ({
      host: store.hostLogPath(planned.runId, laneId),
      guest: store.guestLogPath(planned.runId, laneId),
    }),
    ...(options.meta ? { meta: options.meta } : {}),
  });
  const writer = new RunRecordWriter(
    hosts === undefined ? initial : { ...initial, hosts },
    (run) => store.writeRun(run),
    (error) => options.onWarning?.(`could not write run.json: ${describeError(error)}`),
  );
  return {
    runId: planned.runId,
    writer,
    emit: (event) => options.onEvent?.(event),
    iso: () => now().toISOString(),
    signal: options.signal ?? new AbortController().signal,
    finished: new Set(),
  };
}

async function writePlan(store: RunStore, planned: PlannedRun, warn: (m: string) => void): Promise<void> {
  try {
    await store.writePlan(planned.runId, planned.plan);
  } catch (error) {
    warn(`could not write plan.json: ${describeError(error)}`);
  }
}

async function hashOnce(scope: RunScope, source: SnapshotSource): Promise<Snapshot> {
  const started = scope.iso();
  const t0 = performance.now();
  const snapshot = await source(scope.signal);
  scope.writer.update((run) => ({
    ...addPrepareTiming(run, {
      name: "hash_snapshot",
      started_at: started,
      finished_at: scope.iso(),
      duration_ms: Math.round(performance.now() - t0),
    }),
    snapshot_hash: snapshot.hash,
  }));
  return snapshot;
}

async function runJobs(
  scope: RunScope,
  p: Pick<RunEngineParams, "planned" | "executor" | "store" | "options"> & {
    snapshot: Snapshot;
    warn: (message: string) => void;
  },
): Promise<void> {
  const tasks = executeNodes(p.planned.plan).map((node) => ({
    id: node.lane_id,
    group: node.execute.concurrency_group,
    node,
  }));
  const job = { executor: p.executor, snapshot: p.snapshot, store: p.store, warn: p.warn };
  await runScheduled({
    tasks,
    concurrency: Math.max(1, p.executor.capacity ?? p.options.concurrency),
    signal: scope.signal,
    run: (task) => runJob(scope, { ...job, node: task.node, infraRetries: p.options.infraRetries }),
    // runJob itself failed (e.g. its log directory could not be created): this job only.
    onError: (task, error) => {
      const at = scope.iso();
      scope.writer.update((run) =>
        updateJob(run, task.id, (j) => ({
          ...j,
          status: "failed",
          failure_kind: "infrastructure",
          message: describeError(error),
          finished_at: at,
        })),
      );
    },
  });
}

/** Close every unfinished job, finish the run, write it, and announce what was not announced yet. */
async function closeRun(scope: RunScope, setupError: unknown, lanes: readonly string[]): Promise<void> {
  const at = scope.iso();
  const aborted = scope.signal.aborted;
  const setupMessage = `setup failed: ${describeError(setupError)}`;
  scope.writer.update((run) => {
    const closed = closeUnfinishedJobs(run, at, {
      status: aborted ? "cancelled" : "failed",
      message: aborted ? "cancelled before it finished" : setupMessage,
    });
    return finishRun(closed, at, aborted, setupError && !aborted ? setupMessage : undefined);
  });
  await scope.writer.flush();
  for (const job of scope.writer.current.jobs) {
    if (lanes.includes(job.lane_id) && !scope.finished.has(job.lane_id)) {
      scope.emit(ev.jobFinished(scope.runId, at, job));
    }
  }
  scope.emit(ev.runFinished(scope.runId, at, scope.writer.current.status));
}
