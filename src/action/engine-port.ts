import type { PlannedRun } from "../run/prepare.js";
import type { RunMeta } from "../run/records.js";
import type { ExecutorKind, PikaciConfig, RunEvent, RunRecord } from "../schema/index.js";
import type { StoreLayout } from "../store/index.js";

/** The slice of the engine the action drives; `engine.ts` wires the real one, tests may pass their own. */
export interface EnginePort {
  readonly executorKind: ExecutorKind;
  loadConfig(configPath: string): Promise<PikaciConfig>;
  newRunId(): string;
  /** Run a planned run through the engine's one entry point (`runEngine`). */
  run(params: {
    planned: PlannedRun;
    /** The loaded config (its snapshot rules). */
    config: PikaciConfig;
    onEvent: (event: RunEvent) => void;
    signal: AbortSignal;
    /** Recorded in run.json over the engine's own (the commit and pull request the lanes ran for). */
    meta?: RunMeta;
  }): Promise<RunRecord>;
  /** Where the engine's store keeps each run's records and logs. */
  readonly layout: StoreLayout;
  close(): Promise<void>;
}
