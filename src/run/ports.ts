import type { ExecutorKind, PikaciConfig, PlanRecord, RunRecord } from "../schema/index.js";
import type { Snapshot } from "../snapshot/entries.js";
import type { LogTruncation } from "../store/capped-log.js";

/** What `runLanes` needs from its collaborators, narrowed so tests can hand in small fakes. */

export interface RunStore {
  writeRun(run: RunRecord): Promise<void>;
  writePlan(runId: string, plan: PlanRecord): Promise<void>;
  /** Creates the job directory and returns it. */
  jobDir(runId: string, jobId: string): Promise<string>;
  hostLogPath(runId: string, jobId: string): string;
  guestLogPath(runId: string, jobId: string): string;
  /** A job's log, capped to `limitBytes` (head and tail kept); written synchronously. */
  openLog(runId: string, jobId: string, kind: "host" | "guest", limitBytes: number): LogSink;
}

export interface LogSink {
  write(text: string): void;
  /** What was cut (null when the log fit). */
  close(): LogTruncation | null;
}

export interface PlanOptions {
  configPath: string;
  laneIds: string[] | undefined;
  runId: string;
  createdAt: string;
  executor: ExecutorKind;
}

/** Pure: config + changed files → the plan, plus every lane's timeout (skipped lanes are recorded too). */
export type PlanBuilder = (
  config: PikaciConfig,
  changedFiles: string[] | null,
  options: PlanOptions,
) => { plan: PlanRecord; timeouts: ReadonlyMap<string, number> };

/** Build the workspace snapshot once per run; executors copy or sync its entries as they are. */
export type SnapshotHasher = (
  workspace: string,
  signal: AbortSignal,
  options: { stateRoot?: string; include?: readonly string[] },
) => Promise<Snapshot>;
