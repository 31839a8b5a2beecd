import type { RunMeta } from "../run/records.js";
import type { PikaciConfig, RunEvent, RunRecord } from "../schema/index.js";

/** The slice of the engine the action drives; `engine.ts` wires the real one, tests may pass their own. */
export interface EnginePort {
  readonly executorKind: "local" | "incus";
  loadConfig(configPath: string): Promise<PikaciConfig>;
  newRunId(): string;
  runLanes(params: {
    config: PikaciConfig;
    /** As given to loadConfig; recorded in plan.json. */
    configPath: string;
    runId: string;
    laneIds: string[];
    /** null: change detection unavailable, every selected lane runs. */
    changedFiles: string[] | null;
    onEvent: (event: RunEvent) => void;
    signal: AbortSignal;
    /** Recorded in run.json over the engine's own (the commit and pull request the lanes ran for). */
    meta?: RunMeta;
  }): Promise<RunRecord>;
  /** `runs/<run_id>` under the state root: run.json, plan.json, jobs/<job_id>/{host,guest}.log. */
  runDir(runId: string): string;
  close(): Promise<void>;
}
