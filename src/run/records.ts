import type { JobOutcome } from "../executor/executor.js";
import type {
  AttemptRecord,
  ExecuteNode,
  ExecutorKind,
  JobRecord,
  LaneFilter,
  PlanRecord,
  PrepareTiming,
  RunEvent,
  RunRecord,
  RunStatus,
} from "../schema/index.js";
import { PLAN_FILE } from "../store/layout.js";
import { runStatusOf } from "./policy.js";
import type { PlannedRun } from "./prepare.js";

/** Pure transitions of `run.json`: every function returns a new record and never touches the disk. */

export interface RunMeta {
  repository?: string;
  pull_request?: number;
  git_head?: string;
  git_dirty?: boolean;
  workflow_run_url?: string;
  host?: string;
}

export interface InitialRunParams {
  planned: PlannedRun;
  executor: ExecutorKind;
  /** Where each lane's host and guest logs go (the store's layout). */
  logPaths: (laneId: string) => { host: string; guest: string };
  meta?: RunMeta;
}

export function executeNodes(plan: PlanRecord): ExecuteNode[] {
  return plan.nodes.filter((node): node is ExecuteNode => node.kind === "execute");
}

function baseJob(
  laneId: string,
  description: string,
  timeoutSecs: number,
  executor: ExecutorKind,
): JobRecord {
  return {
    lane_id: laneId,
    description,
    status: "queued",
    executor,
    plan_node_id: "",
    timeout_secs: timeoutSecs,
    host_log_path: null,
    guest_log_path: null,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    exit_code: null,
    message: null,
    failure_kind: null,
    phases: [],
    attempts: [],
  };
}

/** `running`, every selected job `queued`, every unselected lane a `skipped` job saying why. */
export function initialRunRecord(params: InitialRunParams): RunRecord {
  const { meta = {} } = params;
  const { plan, runId, createdAt, timeouts } = params.planned;
  const nodes = executeNodes(plan);
  const selectedIds = new Set(nodes.map((node) => node.lane_id));
  const queued = nodes.map((node): JobRecord => {
    const logs = params.logPaths(node.lane_id);
    return {
      ...baseJob(node.lane_id, node.description, node.execute.timeout_secs, params.executor),
      plan_node_id: node.id,
      host_log_path: logs.host,
      guest_log_path: logs.guest,
      image: node.execute.image,
      instance_type: node.execute.instance_type,
    };
  });
  const skipped = plan.selection
    .filter((filter) => !selectedIds.has(filter.lane_id))
    .map(
      (filter: LaneFilter): JobRecord => ({
        ...baseJob(filter.lane_id, filter.lane_id, timeouts.get(filter.lane_id) ?? 1, params.executor),
        status: "skipped",
        message: filter.reason,
      }),
    );
  return {
    schema_version: 1,
    run_id: runId,
    status: nodes.length === 0 ? "skipped" : "running",
    git_head: meta.git_head ?? null,
    git_dirty: meta.git_dirty ?? null,
    created_at: createdAt,
    started_at: createdAt,
    finished_at: nodes.length === 0 ? createdAt : null,
    plan_path: PLAN_FILE,
    changed_files: plan.changed_files,
    filters: plan.selection,
    message: nodes.length === 0 ? "no lane was selected" : null,
    prepare_timings: [],
    jobs: [...queued, ...skipped],
    snapshot_hash: null,
    host: meta.host ?? null,
    repository: meta.repository ?? null,
    pull_request: meta.pull_request ?? null,
    workflow_run_url: meta.workflow_run_url ?? null,
  };
}

export function updateJob(run: RunRecord, laneId: string, patch: (job: JobRecord) => JobRecord): RunRecord {
  return { ...run, jobs: run.jobs.map((job) => (job.lane_id === laneId ? patch(job) : job)) };
}

export function addPrepareTiming(run: RunRecord, timing: PrepareTiming): RunRecord {
  return { ...run, prepare_timings: [...run.prepare_timings, timing] };
}

export function markJobRunning(job: JobRecord, at: string): JobRecord {
  return { ...job, status: "running", started_at: job.started_at ?? at, finished_at: null };
}

export function attemptFromOutcome(attempt: number, outcome: JobOutcome): AttemptRecord {
  return {
    attempt,
    status: outcome.status,
    failure_kind: outcome.failure_kind,
    exit_code: outcome.exit_code,
    message: outcome.message,
    started_at: outcome.started_at,
    finished_at: outcome.finished_at,
    phases: outcome.phases,
    ...(outcome.host === undefined ? {} : { host: outcome.host }),
  };
}

/** The job takes the last attempt's result; every attempt stays in `attempts[]`. */
export function applyAttempt(
  job: JobRecord,
  attempt: number,
  outcome: JobOutcome,
  final: boolean,
): JobRecord {
  const attempts = [...(job.attempts ?? []), attemptFromOutcome(attempt, outcome)];
  const startedAt = job.started_at ?? outcome.started_at;
  return {
    ...job,
    status: final ? outcome.status : "running",
    started_at: startedAt,
    finished_at: final ? outcome.finished_at : null,
    duration_ms: final ? Math.max(0, Date.parse(outcome.finished_at) - Date.parse(startedAt)) : null,
    exit_code: outcome.exit_code,
    message: outcome.message,
    failure_kind: outcome.failure_kind,
    phases: outcome.phases,
    attempts,
    sync: outcome.sync ?? job.sync ?? null,
    image: outcome.image ?? job.image ?? null,
    instance_name: outcome.instance_name ?? job.instance_name ?? null,
    ...(outcome.host === undefined ? {} : { host: outcome.host }),
    ...(outcome.artifacts !== undefined ? { artifacts: outcome.artifacts } : {}),
    ...(outcome.tests !== undefined ? { tests: outcome.tests } : {}),
  };
}

/** Jobs that never finished when the run stops: failed (setup threw) or cancelled (abort). */
export function closeUnfinishedJobs(
  run: RunRecord,
  at: string,
  close: { status: "failed" | "cancelled"; message: string },
): RunRecord {
  return {
    ...run,
    jobs: run.jobs.map((job) =>
      job.status === "queued" || job.status === "running"
        ? {
            ...job,
            status: close.status,
            finished_at: at,
            duration_ms: job.started_at ? Math.max(0, Date.parse(at) - Date.parse(job.started_at)) : null,
            message: close.message,
            failure_kind: close.status === "failed" ? "infrastructure" : null,
          }
        : job,
    ),
  };
}

export function finishRun(run: RunRecord, at: string, aborted: boolean, message?: string): RunRecord {
  const computed: RunStatus = runStatusOf(run.jobs, aborted);
  // A finished run is never left `running`: callers close unfinished jobs first, and this guards it.
  const status: RunStatus = computed === "running" ? "failed" : computed;
  return { ...run, status, finished_at: at, message: message ?? run.message };
}

/** A live record applied with what the engine reported: a job that finished replaces its entry. */
export function withFinishedJob(run: RunRecord, event: RunEvent): RunRecord {
  if (event.type === "job_started")
    return updateJob(run, event.lane_id, (job) => markJobRunning(job, event.at));
  if (event.type !== "job_finished") return run;
  return updateJob(run, event.lane_id, () => event.job);
}

/** The record closed as cancelled: every unfinished job cancelled with `message`, the run `cancelled`. Pure. */
export function closedAsCancelled(run: RunRecord, at: string, message: string): RunRecord {
  if (run.finished_at) return run;
  return finishRun(closeUnfinishedJobs(run, at, { status: "cancelled", message }), at, true);
}
