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

/** Hash once per run; executors take `root` and `hash` and list or sync from there. */
export const defaultHashSnapshot: SnapshotHasher = async (workspace, _signal, { stateRoot, include }) => {
  const snapshot = await buildSnapshot({ root: workspace, stateRoot, include });
  return {
    root: snapshot.root,
    hash: snapshot.hash,
    ...(stateRoot === undefined ? {} : { stateRoot }),
    ...(include === undefined || include.length === 0 ? {} : { include }),
  };
};
