import { describeError } from "../errors/index.js";
import type { Executor, JobEvents, JobOutcome } from "../executor/executor.js";
import {
  DEFAULT_LOG_LIMIT_BYTES,
  type ExecuteNode,
  type LogTruncation,
  type PikaciConfig,
  type PlanRecord,
  type RunEvent,
  type RunRecord,
} from "../schema/index.js";
import type { Snapshot } from "../snapshot/entries.js";
import { newRunId } from "../store/index.js";
import { defaultBuildPlan, defaultHashSnapshot } from "./default-deps.js";
import * as ev from "./events.js";
import { livePhase } from "./live-phases.js";
import { shouldRetry } from "./policy.js";
import type { LogSink, PlanBuilder, RunStore, SnapshotHasher } from "./ports.js";
import { RunRecordWriter } from "./record-writer.js";
import {
  addPrepareTiming,
  applyAttempt,
  closeUnfinishedJobs,
  executeNodes,
  finishRun,
  initialRunRecord,
  markJobRunning,
  type RunMeta,
  updateJob,
} from "./records.js";
import { runScheduled } from "./schedule.js";

export interface RunLanesParams {
  config: PikaciConfig;
  configPath: string;
  /** The repository root whose snapshot the lanes run against. Never written to. */
  workspace: string;
  /**
   * The store's state directory: it keeps the digest cache, and is left out of the snapshot when it
   * lies inside the workspace (its records change while the run goes on).
   */
  stateRoot?: string;
  laneIds?: string[];
  /** null or absent: change detection unavailable, every lane runs. */
  changedFiles?: string[] | null;
  executor: Executor;
  store: RunStore;
  concurrency: number;
  /** Overrides every lane's `infra_retries` (tests, `--infra-retries`); absent: the lane's setting. */
  infraRetries?: number;
  onEvent?: (event: RunEvent) => void;
  /** Problems that must not fail the run (e.g. a run.json write failed). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  runId?: string;
  now?: () => Date;
  meta?: RunMeta;
  /** Seams for tests; default to the real planner and snapshot hasher. */
  buildPlan?: PlanBuilder;
  hashSnapshot?: SnapshotHasher;
}

interface Task {
  id: string;
  group: string | null;
  node: ExecuteNode;
}

/**
 * Run the selected lanes of a config against a workspace and return the terminal run record.
 * Throws only before anything is recorded (bad config or `--lane`); from then on every outcome,
 * including a setup that throws or an abort, ends in a terminal `run.json`.
 */
export async function runLanes(params: RunLanesParams): Promise<RunRecord> {
  const deps = resolveDeps(params);
  const now = params.now ?? (() => new Date());
  const iso = (): string => now().toISOString();
  const emit = (event: RunEvent): void => params.onEvent?.(event);
  const warn = (message: string): void => params.onWarning?.(message);
  const signal = params.signal ?? new AbortController().signal;
  const { store } = params;

  const runId = params.runId ?? newRunId(now());
  const createdAt = iso();
  const { plan, timeouts } = deps.buildPlan(params.config, params.changedFiles ?? null, {
    configPath: params.configPath,
    laneIds: params.laneIds,
    runId,
    createdAt,
    executor: params.executor.kind,
  });
  const nodes = executeNodes(plan);
  const writer = new RunRecordWriter(
    initialRunRecord({
      runId,
      createdAt,
      plan,
      planPath: "plan.json",
      executor: params.executor.kind,
      timeouts,
      logPaths: (jobId) => ({
        host: store.hostLogPath(runId, jobId),
        guest: store.guestLogPath(runId, jobId),
      }),
      meta: params.meta,
    }),
    (run) => store.writeRun(run),
    (error) => warn(`could not write run.json: ${describeError(error)}`),
  );
  await writePlan(store, runId, plan, warn);
  writer.update((run) => run);
  emit(
    ev.runStarted(
      runId,
      createdAt,
      nodes.map((node) => node.lane_id),
    ),
  );

  let setupError: unknown = null;
  const finished = new Set<string>();
  if (nodes.length > 0) {
    try {
      const snapshot = await hashOnce(params, deps.hashSnapshot, writer, iso, signal);
      const tasks: Task[] = nodes.map((node) => ({
        id: node.lane_id,
        group: node.execute.concurrency_group,
        node,
      }));
      await runScheduled({
        tasks,
        concurrency: Math.max(1, params.concurrency),
        signal,
        run: (task) => runJob({ params, task, snapshot, writer, iso, emit, signal, runId, finished }),
        onError: (task, error) => {
          // runJob itself failed (e.g. its log directory could not be created): this job only.
          const at = iso();
          writer.update((run) =>
            updateJob(run, task.id, (job) => ({
              ...job,
              status: "failed",
              failure_kind: "infrastructure",
              message: describeError(error),
              finished_at: at,
            })),
          );
        },
      });
    } catch (error) {
      setupError = error;
    }
  }

  const at = iso();
  const aborted = signal.aborted;
  writer.update((run) => {
    const closed = closeUnfinishedJobs(run, at, {
      status: aborted ? "cancelled" : "failed",
      message: aborted ? "cancelled before it finished" : `setup failed: ${describeError(setupError)}`,
    });
    return finishRun(
      closed,
      at,
      aborted,
      setupError && !aborted ? `setup failed: ${describeError(setupError)}` : undefined,
    );
  });
  await writer.flush();
  for (const job of writer.current.jobs) {
    if (nodes.some((node) => node.lane_id === job.id) && !finished.has(job.id)) {
      emit(ev.jobFinished(runId, at, job.id, { ...job, duration_ms: job.duration_ms ?? null }));
    }
  }
  emit(ev.runFinished(runId, at, writer.current.status));
  return writer.current;
}

function resolveDeps(params: RunLanesParams) {
  return {
    buildPlan: params.buildPlan ?? defaultBuildPlan,
    hashSnapshot: params.hashSnapshot ?? defaultHashSnapshot,
  };
}

async function writePlan(store: RunStore, runId: string, plan: PlanRecord, warn: (m: string) => void) {
  try {
    await store.writePlan(runId, plan);
  } catch (error) {
    warn(`could not write plan.json: ${describeError(error)}`);
  }
}

async function hashOnce(
  params: RunLanesParams,
  hash: SnapshotHasher,
  writer: RunRecordWriter,
  iso: () => string,
  signal: AbortSignal,
): Promise<Snapshot> {
  const started = iso();
  const t0 = performance.now();
  const include = params.config.snapshot?.include;
  const snapshot = await hash(params.workspace, signal, {
    stateRoot: params.stateRoot,
    ...(include === undefined ? {} : { include }),
  });
  writer.update((run) => ({
    ...addPrepareTiming(run, {
      name: "hash_snapshot",
      started_at: started,
      finished_at: iso(),
      duration_ms: Math.round(performance.now() - t0),
    }),
    snapshot_hash: snapshot.hash,
  }));
  return snapshot;
}

interface JobContext {
  params: RunLanesParams;
  task: Task;
  snapshot: Snapshot;
  writer: RunRecordWriter;
  iso: () => string;
  emit: (event: RunEvent) => void;
  signal: AbortSignal;
  runId: string;
  /** Jobs whose job_finished was emitted; the rest get one when the run closes. */
  finished: Set<string>;
}

async function runJob(ctx: JobContext): Promise<void> {
  const { params, task, runId } = ctx;
  const { store } = params;
  const jobId = task.node.lane_id;
  const jobDir = await store.jobDir(runId, jobId);
  const retries = params.infraRetries ?? task.node.execute.infra_retries;
  const logs = new JobLogs({
    store,
    runId,
    jobId,
    limitBytes: task.node.execute.log_limit_bytes ?? DEFAULT_LOG_LIMIT_BYTES,
    warn: (m) => params.onWarning?.(m),
  });
  try {
    await runAttempts(ctx, { jobId, jobDir, retries, logs });
  } finally {
    logs.close();
  }
}

async function runAttempts(
  ctx: JobContext,
  job: { jobId: string; jobDir: string; retries: number; logs: JobLogs },
): Promise<void> {
  const { params, task, writer, iso, emit, signal, runId } = ctx;
  const { jobId, jobDir, retries, logs } = job;

  for (let attempt = 1; !signal.aborted; attempt++) {
    const startedAt = iso();
    writer.update((run) =>
      updateJob(run, jobId, (job) => ({ ...markJobRunning(job, startedAt), phases: [] })),
    );
    emit(ev.jobStarted(runId, startedAt, jobId, attempt));
    if (attempt > 1) logs.append("host", `pikaci: attempt ${attempt} of ${retries + 1}\n`);
    const events: JobEvents = {
      phase: (phase, state, durationMs) => {
        const at = iso();
        writer.update((run) => updateJob(run, jobId, (job) => livePhase(job, phase, state, at, durationMs)));
        emit(ev.jobPhase(runId, at, jobId, phase, state, durationMs));
      },
      log: (stream, text) => {
        logs.append(stream, text);
        emit(ev.jobLog(runId, iso(), jobId, stream, text));
      },
    };
    const outcome = await runSafely(
      params.executor,
      task.node,
      { runId, jobId, jobDir, attempt, snapshot: ctx.snapshot },
      events,
      signal,
      iso,
    );
    const retry = !signal.aborted && shouldRetry(outcome, attempt, retries);
    // The log is complete once the last attempt ended: close it so its cut is in the same record.
    const truncation = retry ? null : logs.close();
    writer.update((run) =>
      updateJob(run, jobId, (job) => ({
        ...applyAttempt(job, attempt, outcome, !retry),
        ...(truncation ? { log_truncation: truncation } : {}),
      })),
    );
    if (!retry) {
      const job = writer.current.jobs.find((j) => j.id === jobId)!;
      ctx.finished.add(jobId);
      // Stamp the event when it is emitted, not when the job ended: event streams stay in time order.
      emit(
        ev.jobFinished(runId, iso(), jobId, {
          ...outcome,
          duration_ms: job.duration_ms ?? null,
        }),
      );
      return;
    }
    logs.append("host", `pikaci: infrastructure failure (${outcome.message ?? "no message"}); retrying\n`);
  }
}

/** An executor that throws has a bug or lost its host; either way the job failed on infrastructure. */
async function runSafely(
  executor: Executor,
  node: ExecuteNode,
  job: {
    runId: string;
    jobId: string;
    jobDir: string;
    attempt: number;
    snapshot: Snapshot;
  },
  events: JobEvents,
  signal: AbortSignal,
  iso: () => string,
): Promise<JobOutcome> {
  const startedAt = iso();
  try {
    return await executor.runJob(
      {
        run_id: job.runId,
        job_id: job.jobId,
        lane_id: node.lane_id,
        description: node.description,
        attempt: job.attempt,
        execute: node.execute,
        snapshot: job.snapshot,
        job_dir: job.jobDir,
      },
      events,
      signal,
    );
  } catch (error) {
    return {
      status: signal.aborted ? "cancelled" : "failed",
      failure_kind: signal.aborted ? null : "infrastructure",
      exit_code: null,
      message: describeError(error),
      phases: [],
      started_at: startedAt,
      finished_at: iso(),
      host_log_path: null,
      guest_log_path: null,
    };
  }
}

/**
 * A job's host and guest logs, each capped to the lane's log_limit (head and tail kept). Written
 * synchronously as output arrives, so nothing queues up in memory; a write that fails is reported
 * once and that log stops, while the job goes on.
 */
class JobLogs {
  readonly #files = new Map<"host" | "guest", LogSink | null>();
  #truncation: LogTruncation | null = null;
  #closed = false;
  constructor(
    private readonly p: {
      store: RunStore;
      runId: string;
      jobId: string;
      limitBytes: number;
      warn: (message: string) => void;
    },
  ) {}

  append(stream: "host" | "guest", text: string): void {
    if (this.#closed) return;
    let file = this.#files.get(stream);
    if (file === null) return;
    try {
      if (file === undefined) {
        file = this.p.store.openLog(this.p.runId, this.p.jobId, stream, this.p.limitBytes);
        this.#files.set(stream, file);
      }
      file.write(text);
    } catch (error) {
      this.#files.set(stream, null);
      this.p.warn(`could not write ${stream}.log of ${this.p.jobId}: ${describeError(error)}`);
    }
  }

  /** Finish both logs; returns the guest log's cut (null when it fit). Safe to call twice. */
  close(): LogTruncation | null {
    if (this.#closed) return this.#truncation;
    this.#closed = true;
    for (const [stream, file] of this.#files) {
      try {
        const cut = file?.close() ?? null;
        if (stream === "guest") this.#truncation = cut;
      } catch (error) {
        this.p.warn(`could not finish ${stream}.log of ${this.p.jobId}: ${describeError(error)}`);
      }
    }
    return this.#truncation;
  }
}
