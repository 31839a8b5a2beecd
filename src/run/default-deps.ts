import { resolveLanes } from "../config/index.js";
import { buildRunPlan } from "../plan/index.js";
import { buildSnapshot } from "../snapshot/build.js";
import type { PlanBuilder, SnapshotHasher } from "./ports.js";

/** The real planner, adapted to what runLanes needs: the plan plus every lane's timeout. */
export const defaultBuildPlan: PlanBuilder = (config, changedFiles, options) => {
  const { plan } = buildRunPlan(config, changedFiles, options);
  const timeouts = new Map(resolveLanes(config).map((lane) => [lane.id, lane.execute.timeout_secs]));
  return { plan, timeouts };
};

/** Build once per run; executors copy or sync the returned entries (docs/snapshot-hash.md). */
export const defaultHashSnapshot: SnapshotHasher = (workspace, _signal, { stateRoot, include }) =>
  buildSnapshot({ root: workspace, stateRoot, include });
