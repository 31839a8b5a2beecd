import type { PlanRecord, RunRecord } from "../schema/index.js";
import type { Snapshot } from "../snapshot/entries.js";
import type { LogTruncation } from "../store/capped-log.js";

/**
 * What the engine needs from its collaborators, narrowed so tests can hand in small fakes. A job is
 * one lane's execution in a run, so the store names it by its lane id.
 */
export interface RunStore {
  writeRun(run: RunRecord): Promise<void>;
  writePlan(runId: string, plan: PlanRecord): Promise<void>;
  /** Creates the job directory and returns it. */
  jobDir(runId: string, laneId: string): Promise<string>;
  hostLogPath(runId: string, laneId: string): string;
  guestLogPath(runId: string, laneId: string): string;
  /** A job's log, capped to `limitBytes` (head and tail kept); written synchronously. */
  openLog(runId: string, laneId: string, kind: "host" | "guest", limitBytes: number): LogSink;
}

export interface LogSink {
  write(text: string): void;
  /** What was cut (null when the log fit). */
  close(): LogTruncation | null;
}

/** Build the workspace snapshot once per run; executors copy or sync its entries as they are. */
export type SnapshotHasher = (
  workspace: string,
  signal: AbortSignal,
  options: { stateRoot?: string; include?: readonly string[] },
) => Promise<Snapshot>;

/** The run's snapshot, built when the engine asks (timed and recorded as `hash_snapshot`). */
export type SnapshotSource = (signal: AbortSignal) => Promise<Snapshot>;
