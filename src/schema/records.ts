import { z } from "zod";
import { InstanceType } from "./config.js";
import { LaneId, RunId } from "./ids.js";
import { ArtifactsRecord, LaneTestResults } from "./tests.js";

/**
 * The records pikaci writes: `run.json`, `plan.json`, and the job records inside `run.json`.
 * Field names follow the original (snake_case) where it had them; new fields are additive.
 */

export const SCHEMA_VERSION = 1;

const Timestamp = z.iso.datetime({ offset: true });

export const RunStatus = z.enum(["running", "passed", "failed", "skipped", "cancelled"]);
/** Jobs also have a `queued` state before they start, so a live run.json shows every lane. */
export const JobStatus = z.enum(["queued", "running", "passed", "failed", "skipped", "cancelled"]);
export const FailureKind = z.enum(["test_failure", "timeout", "infrastructure"]);
export const ExecutorKind = z.enum(["local", "incus"]);

export const PhaseName = z.enum([
  "prepare_directories",
  "sync_snapshot",
  "prepare_runtime",
  "launch_guest",
  "wait_for_completion",
  "collect_artifacts",
  "cleanup",
]);

export const PhaseRecord = z.object({
  phase: PhaseName,
  started_at: Timestamp,
  finished_at: Timestamp.nullable(),
  duration_ms: z.number().int().nonnegative().nullable(),
  status: z.enum(["running", "ok", "failed", "skipped"]),
  message: z.string().nullable().optional(),
});

/** What the content-addressed sync did for this job. */
export const SyncStats = z.object({
  snapshot_hash: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.number().int().nonnegative(),
  bytes_total: z.number().int().nonnegative(),
  bytes_sent: z.number().int().nonnegative(),
  /** Bytes the sync read back from the host (status lines, object lists, a downloaded base manifest). */
  bytes_received: z.number().int().nonnegative().optional(),
  objects_sent: z.number().int().nonnegative(),
  objects_reused: z.number().int().nonnegative(),
  snapshot_reused: z.boolean(),
});

/** One try of a job; an infrastructure failure that is retried leaves one of these behind. */
export const AttemptRecord = z.object({
  attempt: z.number().int().positive(),
  status: JobStatus,
  failure_kind: FailureKind.nullable(),
  exit_code: z.number().int().nullable(),
  message: z.string().nullable(),
  started_at: Timestamp,
  finished_at: Timestamp.nullable(),
  phases: z.array(PhaseRecord),
  /** The build host this attempt ran on (absent in older records and for the local executor). */
  host: z.string().nullable().optional(),
});

/** A guest log that outgrew its cap: the stored file keeps its first and last bytes. */
export const LogTruncation = z.object({
  limit_bytes: z.number().int().positive(),
  total_bytes: z.number().int().nonnegative(),
  head_bytes: z.number().int().nonnegative(),
  tail_bytes: z.number().int().nonnegative(),
});

export const JobRecord = z.object({
  /** Older records only; equals `lane_id` (a job is one lane's execution in one run). */
  id: LaneId.optional().meta({ description: "Older records only; equals lane_id." }),
  lane_id: LaneId,
  description: z.string(),
  status: JobStatus,
  executor: ExecutorKind,
  plan_node_id: z.string(),
  timeout_secs: z.number().int().positive(),
  host_log_path: z.string().nullable(),
  guest_log_path: z.string().nullable(),
  started_at: Timestamp.nullable(),
  finished_at: Timestamp.nullable(),
  duration_ms: z.number().int().nonnegative().nullable().optional(),
  exit_code: z.number().int().nullable(),
  message: z.string().nullable(),
  failure_kind: FailureKind.nullable(),
  phases: z.array(PhaseRecord),
  attempts: z.array(AttemptRecord).optional(),
  /** The build host of the last attempt (`attempts[]` has each attempt's). */
  host: z.string().nullable().optional(),
  image: z.string().nullable().optional(),
  instance_type: InstanceType.nullable().optional(),
  instance_name: z.string().nullable().optional(),
  sync: SyncStats.nullable().optional(),
  /** Last lines of the guest log, so a report can show the failure without reading the log. */
  failure_excerpt: z.string().nullable().optional(),
  /** Set when the guest log outgrew the lane's log_limit and was cut (head and tail kept). */
  log_truncation: LogTruncation.nullable().optional(),
  /** Files collected by the lane's `artifacts` and `reports`. */
  artifacts: ArtifactsRecord.nullable().optional(),
  /** Per-test results from the lane's JUnit reports. */
  tests: LaneTestResults.nullable().optional(),
});

export const PrepareTiming = z.object({
  name: z.string(),
  started_at: Timestamp,
  finished_at: Timestamp.nullable(),
  duration_ms: z.number().int().nonnegative().nullable(),
});

export const LaneFilter = z.object({
  lane_id: LaneId,
  paths: z.array(z.string()),
  selected: z.boolean(),
  reason: z.string(),
});

/**
 * A build host of the run: `used` ran lanes, `unused` was reachable but got none, `skipped` failed
 * its probe at the start, `lost` was used and then lost mid-run (its lanes were retried elsewhere).
 */
export const HostRecord = z.object({
  url: z.string(),
  status: z.enum(["used", "unused", "skipped", "lost"]),
  reason: z.string().nullable(),
  capacity: z.number().int().positive(),
  labels: z.array(z.string()),
  /** Running pikaci jobs the probe found at the start (other runs'). */
  live_at_start: z.number().int().nonnegative().nullable().optional(),
});

export const RunRecord = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  run_id: RunId,
  status: RunStatus,
  git_head: z.string().nullable(),
  git_dirty: z.boolean().nullable(),
  created_at: Timestamp,
  started_at: Timestamp.nullable().optional(),
  finished_at: Timestamp.nullable(),
  plan_path: z.string().nullable(),
  /** null when change detection was unavailable (every lane then runs). */
  changed_files: z.array(z.string()).nullable(),
  filters: z.array(LaneFilter),
  message: z.string().nullable(),
  prepare_timings: z.array(PrepareTiming),
  jobs: z.array(JobRecord),
  snapshot_hash: z.string().nullable().optional(),
  /**
   * Where the lanes ran: `local` for the local executor (no build host), `localhost` for Incus on
   * this machine without SSH, else `ssh://user@host:port` — never with credentials.
   */
  host: z.string().nullable().optional(),
  /** Every build host the run could use and what became of it (absent in older records). */
  hosts: z.array(HostRecord).optional(),
  repository: z.string().nullable().optional(),
  pull_request: z.number().int().positive().nullable().optional(),
  /** The branch the run tested (the PR's head branch), so run pages can group runs by branch. */
  head_branch: z.string().nullable().optional(),
  /** The GitHub workflow run that executed this run, when there is one. */
  workflow_run_url: z.string().nullable().optional(),
});

export const ExecuteSpec = z.object({
  command: z.string(),
  run_as_root: z.boolean(),
  timeout_secs: z.number().int().positive(),
  writable_workspace: z.boolean(),
  image: z.string(),
  instance_type: InstanceType,
  env: z.record(z.string(), z.string()),
  caches: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      key: z.string().optional(),
      restore_keys: z.array(z.string()).optional(),
    }),
  ),
  mounts: z.array(z.object({ source: z.string(), path: z.string() })),
  concurrency_group: z.string().nullable(),
  infra_retries: z.number().int().nonnegative(),
  /** The lane's log cap in bytes; absent in records written before caps existed (then 100 MiB). */
  log_limit_bytes: z.number().int().positive().optional(),
  /** Globs of files to collect; absent in plans written before artifacts existed. */
  artifacts: z.array(z.string()).optional(),
  reports: z.array(z.object({ junit: z.string() })).optional(),
  /** Labels a build host must have to run this lane (`runs_on`); absent: any host. */
  runs_on: z.array(z.string()).optional(),
  /** The Incus network the lane joins; absent: no network. */
  network: z.string().optional(),
  /** Resource caps (memory in bytes); absent when the lane sets none, so older plans read as before. */
  limits: z
    .object({
      cpu: z.number().int().positive().optional(),
      memory_bytes: z.number().int().positive().optional(),
      processes: z.number().int().positive().optional(),
    })
    .optional(),
});

export const PrepareNode = z.object({
  kind: z.literal("prepare"),
  id: z.string(),
  description: z.string(),
  executor: ExecutorKind.nullable(),
});

export const ExecuteNode = z.object({
  kind: z.literal("execute"),
  id: z.string(),
  lane_id: LaneId,
  description: z.string(),
  executor: ExecutorKind.nullable(),
  execute: ExecuteSpec,
});

export const PlanNode = z.discriminatedUnion("kind", [PrepareNode, ExecuteNode]);

export const PlanRecord = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  run_id: RunId.nullable(),
  created_at: Timestamp.nullable(),
  /** null when change detection was unavailable. */
  changed_files: z.array(z.string()).nullable(),
  selection: z.array(LaneFilter),
  nodes: z.array(PlanNode),
});

/** What the guest runner writes to `/artifacts/result.json`. */
export const GuestResult = z.object({
  schema_version: z.literal(1),
  status: z.enum(["passed", "failed"]),
  exit_code: z.number().int(),
  finished_at: z.string(),
  message: z.string(),
});

export type RunStatus = z.infer<typeof RunStatus>;
export type JobStatus = z.infer<typeof JobStatus>;
export type FailureKind = z.infer<typeof FailureKind>;
export type ExecutorKind = z.infer<typeof ExecutorKind>;
export type PhaseName = z.infer<typeof PhaseName>;
export type PhaseRecord = z.infer<typeof PhaseRecord>;
export type SyncStats = z.infer<typeof SyncStats>;
export type AttemptRecord = z.infer<typeof AttemptRecord>;
export type JobRecord = z.infer<typeof JobRecord>;
export type LogTruncation = z.infer<typeof LogTruncation>;
export type PrepareTiming = z.infer<typeof PrepareTiming>;
export type LaneFilter = z.infer<typeof LaneFilter>;
export type RunRecord = z.infer<typeof RunRecord>;
export type HostRecord = z.infer<typeof HostRecord>;
export type ExecuteSpec = z.infer<typeof ExecuteSpec>;
export type PlanNode = z.infer<typeof PlanNode>;
export type ExecuteNode = z.infer<typeof ExecuteNode>;
export type PrepareNode = z.infer<typeof PrepareNode>;
export type PlanRecord = z.infer<typeof PlanRecord>;
export type GuestResult = z.infer<typeof GuestResult>;
