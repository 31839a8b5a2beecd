import type {
  ExecuteSpec,
  FailureKind,
  JobStatus,
  PhaseName,
  PhaseRecord,
  SyncStats,
} from "../schema/index.js";
import type { HostRecord } from "../schema/records.js";
import type { ArtifactsRecord, LaneTestResults } from "../schema/tests.js";
import type { Snapshot } from "../snapshot/entries.js";

/**
 * An executor runs one job (one lane) to completion and reports what happened.
 * A failing test is a *result* (`status: failed, failure_kind: test_failure`), not an exception;
 * executors throw only for bugs. Infrastructure problems come back as `failure_kind: infrastructure`
 * so the scheduler can retry them.
 */
export interface JobSpec {
  run_id: string;
  /** The job's id in its run: a job is one lane's execution, so its lane id. */
  lane_id: string;
  description: string;
  attempt: number;
  execute: ExecuteSpec;
  /**
   * The workspace snapshot to run against, built once per run: executors copy or sync exactly
   * these entries and never list the workspace again.
   */
  snapshot: Snapshot;
  /** Local directory for this job's logs: host.log and guest.log are written here. */
  job_dir: string;
}

export interface JobEvents {
  phase(phase: PhaseName, state: "started" | "finished" | "failed", durationMs: number | null): void;
  /** A chunk of log text as it arrives (host log = what pikaci did; guest log = the command's output). */
  log(stream: "host" | "guest", text: string): void;
}

export interface JobOutcome {
  status: Extract<JobStatus, "passed" | "failed" | "cancelled">;
  failure_kind: FailureKind | null;
  exit_code: number | null;
  message: string | null;
  phases: PhaseRecord[];
  started_at: string;
  finished_at: string;
  sync?: SyncStats | null;
  image?: string | null;
  instance_name?: string | null;
  /** Set when the lane declares `artifacts` or `reports`. */
  artifacts?: ArtifactsRecord | null;
  tests?: LaneTestResults | null;
  /** The build host this attempt ran on (a host id: URL, and `?project=` when set); absent locally. */
  host?: string | null;
  /** false: another attempt cannot help (no host has the lane's labels, or none is left). */
  retryable?: boolean;
}

export interface Executor {
  readonly kind: "local" | "incus";
  /** Lanes it can run at once (the sum of its hosts' capacities); absent: the engine's `concurrency`. */
  readonly capacity?: number;
  runJob(job: JobSpec, events: JobEvents, signal: AbortSignal): Promise<JobOutcome>;
  /**
   * Await work an executor left running after returning outcomes (instance deletes, warm-pool
   * top-ups). Called once the run's records are written, before the process exits.
   */
  drain?(): Promise<void>;
  /** The build hosts and what became of each (several-host executors); recorded as run.json `hosts`. */
  hosts?(): HostRecord[];
}
